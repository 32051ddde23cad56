"""Catalog search latency at 100 000 entries in five languages, against a primary-key GET.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python -m bench.catalog_search [--entries 100000] [--queries 300]
        [--database NAME]

Creates its own database (dropped at the end), migrates it, loads generated entries of
realistic lengths (titles of ~8 words, summaries of ~30, bodies of 80-300; one to five
languages each; Zipf-distributed vocabularies with each language's diacritics), then
sends the same number of sequential requests per scenario to the catalog app in this
process and prints p50/p95/p99 and each scenario's ratio to the primary-key GET.

`--database NAME` keeps the loaded database for iterating: the first run creates, loads and
keeps it; later runs migrate it to the latest revision and measure it without loading again
(the same generator seed, so the same scenarios). Drop it by hand when done.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import statistics
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.ext.asyncio import create_async_engine

from services.catalog.app import create_app
from services.catalog.seed import seed as seed_catalog
from shared.db import libpq_url, sqlalchemy_url, with_database
from shared.embedded import EmbeddedPostgres
from shared.migrate import migrate_all
from shared.settings import Environment, Settings

LANGUAGES = ("sl", "en", "hr", "sk", "it")
SYLLABLES = {
    "sl": "ka ko ve ni ja že šče če ra sto lo va ob na vi dr mes tno sko ži ši ču",
    "hr": "gra đa ni ća ko vi na je ru ži ša či đe lo ka po sta va mi ro",
    "sk": "ko ši ce ný ká že ľu ďa ťa ôž ná ra vo de ti mi sa lo pr ka",
    "it": "ca sa cit tà lo re ri no ve zio ne più ò la ti co mu ni tà ar",
    "en": "com mu ni ty hou sing work shop de sign ci ty lab plan ner ing sto",
}
REAL_WORDS = {
    "sl": "stanovanja življenje mesto občina skupnost ustvarjalnost mladi prostor središče",
    "hr": "održiva mobilnost građani zajednica stanovanje grad kultura prijevoz",
    "sk": "Košice komunity energia mesto bývanie kultúra obyvatelia čistá",
    "it": "città creatività comunità abitazioni cultura Nardò spazi industria",
    "en": "housing community innovation participation mobility energy creative lab",
}
BLOCKS = ["governance", "participation", "creativity", "digital-capacity", "economic-development"]
CHALLENGES = [
    "housing",
    "mobility",
    "industry-4-0",
    "culture-creativity",
    "energy-communities",
    "city-vibe",
]
KINDS = ["story", "method", "tool", "practice"]
CITIES = ["celje", "prebold", "varazdin", "kosice", "nardo"]
GOAL_P95_MS = 25.0
NOT_SEARCHES = ("list (no q)", "primary-key GET")  # references, not held to the goal
RESULTS_DIR = Path(__file__).resolve().parent / "results"


def vocabulary(language: str, rng: random.Random, size: int = 4000) -> list[str]:
    syllables = SYLLABLES[language].split()
    words = REAL_WORDS[language].split()
    seen = set(words)
    while len(words) < size:
        word = "".join(rng.choice(syllables) for _ in range(rng.choice((2, 2, 3, 3, 4))))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


class TextMaker:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.words = {language: vocabulary(language, rng) for language in LANGUAGES}
        weights = [1 / rank for rank in range(1, 4001)]
        self.cumulative = list(itertools.accumulate(weights))

    def text(self, language: str, count: int, capitalise: bool = True) -> str:
        words = self.rng.choices(self.words[language], cum_weights=self.cumulative, k=count)
        sentence = " ".join(words)
        return sentence[:1].upper() + sentence[1:] + "." if capitalise else sentence


def entries(maker: TextMaker, count: int, rng: random.Random) -> Iterator[tuple[Any, ...]]:
    now = datetime.now(UTC)
    for index in range(count):
        languages = rng.sample(LANGUAGES, rng.choices((1, 2, 3, 5), (40, 40, 15, 5))[0])
        title = {lang: maker.text(lang, rng.randint(4, 12)) for lang in languages}
        summary = {lang: maker.text(lang, rng.randint(15, 45)) for lang in languages}
        body = {lang: maker.text(lang, rng.randint(80, 300)) for lang in languages}
        published = rng.random() < 0.9
        created = now - timedelta(minutes=rng.randint(0, 3 * 365 * 24 * 60))
        yield (
            uuid.uuid4(),
            f"bench-{index}",
            rng.choice(KINDS),
            json.dumps(title),
            json.dumps(summary),
            json.dumps(body),
            rng.sample(BLOCKS, rng.randint(0, 3)),
            rng.sample(CHALLENGES, rng.randint(0, 2)),
            rng.sample(CITIES, rng.randint(0, 2)),
            "published" if published else "draft",
            created + timedelta(days=1) if published else None,
            "bench",
            "bench",
            created,
            created,
        )


COLUMNS = [
    "id",
    "slug",
    "kind",
    "title",
    "summary",
    "body",
    "innovation_blocks",
    "challenges",
    "cities",
    "status",
    "published_at",
    "created_by",
    "updated_by",
    "created_at",
    "updated_at",
]
SEARCH_INDEXES = ("ix_entries_search_vector", "ix_entries_search_title", "ix_entries_search_sample")


async def load(url: str, count: int, maker: TextMaker, rng: random.Random) -> None:
    connection = await asyncpg.connect(libpq_url(url))
    try:
        # Build the search indexes once after loading (the same definitions) instead of
        # maintaining them row by row: the same end state, minutes faster.
        definitions = [
            await connection.fetchval(
                "SELECT pg_get_indexdef(format('catalog.%I', $1::text)::regclass)", name
            )
            for name in SEARCH_INDEXES
        ]
        for name in SEARCH_INDEXES:
            await connection.execute(f"DROP INDEX catalog.{name}")
        rows = entries(maker, count, rng)
        batch = 5000
        for start in range(0, count, batch):
            chunk = list(itertools.islice(rows, batch))
            await connection.copy_records_to_table(
                "entries", schema_name="catalog", columns=COLUMNS, records=chunk
            )
            print(f"  loaded {start + len(chunk)} entries", flush=True)
        await connection.execute("SET maintenance_work_mem = '256MB'")
        for definition in definitions:
            await connection.execute(definition)
        await connection.execute("VACUUM ANALYZE catalog.entries")
    finally:
        await connection.close()


async def loaded_ids(url: str) -> list[uuid.UUID]:
    """Published entries for the primary-key GET."""
    connection = await asyncpg.connect(libpq_url(url))
    try:
        return [
            row["id"]
            for row in await connection.fetch(
                "SELECT id FROM catalog.entries WHERE status = 'published' LIMIT 5000"
            )
        ]
    finally:
        await connection.close()


def fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def typo(word: str, rng: random.Random) -> str:
    position = rng.randrange(1, len(word) - 1)
    return word[:position] + word[position + 1 :]


def scenarios(
    maker: TextMaker, ids: list[uuid.UUID], rng: random.Random
) -> dict[str, Callable[[], str]]:
    def word(min_length: int = 1) -> str:
        language = rng.choice(LANGUAGES)
        # Common, middling and rare words alike: ranks spread over the vocabulary.
        while True:
            rank = int(rng.paretovariate(0.6)) - 1
            if rank < 4000 and len(candidate := maker.words[language][rank]) >= min_length:
                return fold(candidate)

    entries_path = "/api/v1/catalog/entries"
    return {
        "single word": lambda: f"{entries_path}?q={word()}",
        "prefix": lambda: f"{entries_path}?q={word(5)[: rng.randint(3, 4)]}",
        "typo": lambda: f"{entries_path}?q={typo(word(7), rng)}",
        "two words": lambda: f"{entries_path}?q={word()}+{word()}",
        "faceted": lambda: f"{entries_path}?q={word()}&facets=true",
        "list (no q)": lambda: f"{entries_path}?kind={rng.choice(KINDS)}",
        "primary-key GET": lambda: f"{entries_path}/{rng.choice(ids)}",
    }


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def measure(
    url: str, maker: TextMaker, ids: list[uuid.UUID], queries: int
) -> dict[str, dict[str, float]]:
    settings = Settings(
        database_url=url, environment=Environment.TEST, access_log=False, log_level="WARNING"
    )
    app = create_app(settings)
    rng = random.Random(7)
    plans = scenarios(maker, ids, rng)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://catalog") as client:
            results: dict[str, list[float]] = {name: [] for name in plans}
            slowest: dict[str, tuple[float, str]] = {}
            for _ in range(20):  # warm-up
                for make in plans.values():
                    await client.get(make())
            # Interleaved so drift on a shared machine hits every scenario alike.
            for _ in range(queries):
                for name, make in plans.items():
                    path = make()
                    started = time.perf_counter()
                    response = await client.get(path)
                    elapsed = (time.perf_counter() - started) * 1000
                    assert response.status_code == 200, (path, response.text)
                    results[name].append(elapsed)
                    if elapsed > slowest.get(name, (0.0, ""))[0]:
                        slowest[name] = (elapsed, path)
    baseline = statistics.median(results["primary-key GET"])
    print(f"\n{'scenario':<18} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'p50 / PK GET':>13}")
    for name, values in results.items():
        p50, p95, p99 = (percentile(values, f) for f in (0.5, 0.95, 0.99))
        print(f"{name:<18} {p50:8.2f} {p95:8.2f} {p99:8.2f} {p50 / baseline:12.1f}x")
    print("\nslowest request per scenario:")
    for name, (elapsed, path) in slowest.items():
        print(f"  {name:<18} {elapsed:8.1f} ms  {path}")
    return {
        name: {f"p{round(f * 100)}_ms": percentile(values, f) for f in (0.5, 0.95, 0.99)}
        for name, values in results.items()
    }


def write_results(entries: int, queries: int, figures: dict[str, dict[str, float]]) -> None:
    """The headline figures in bench/results/catalog_search.json (for `magnet bench`)."""
    results = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "entries": entries,
        "queries": queries,
        "goal_p95_ms": GOAL_P95_MS,
        "scenarios": {
            name: {**values, "searches": name not in NOT_SEARCHES}
            for name, values in figures.items()
        },
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "catalog_search.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"results written to {RESULTS_DIR / 'catalog_search.json'}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument(
        "--database", help="keep the loaded database under this name and reuse it next time"
    )
    arguments = parser.parse_args()
    embedded = None
    server = os.environ.get("DATABASE_URL")
    if not server:
        embedded = EmbeddedPostgres()
        server = embedded.start()
    name = arguments.database or f"magnet_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(libpq_url(server))
    exists = await admin.fetchval("SELECT true FROM pg_database WHERE datname = $1", name)
    if not exists:
        await admin.execute(f'CREATE DATABASE "{name}"')
    url = with_database(server, name)
    try:
        await asyncio.to_thread(migrate_all, url)
        rng = random.Random(42)
        maker = TextMaker(rng)
        if exists:
            ids = await loaded_ids(url)
            print(f"reusing the {len(ids)} published entries' database {name}")
        else:
            engine = create_async_engine(sqlalchemy_url(url))
            async with engine.begin() as connection:
                await seed_catalog(connection)
            await engine.dispose()
            started = time.perf_counter()
            await load(url, arguments.entries, maker, rng)
            ids = await loaded_ids(url)
            seconds = time.perf_counter() - started
            print(f"loaded and indexed {arguments.entries} entries in {seconds:.0f} s")
        figures = await measure(url, maker, ids, arguments.queries)
        write_results(arguments.entries, arguments.queries, figures)
    finally:
        if arguments.database is None:
            await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()
        if embedded is not None:
            embedded.stop()


if __name__ == "__main__":
    asyncio.run(main())
