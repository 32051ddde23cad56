"""The catalog's demo data: the MAGNET taxonomy in the five languages of the network.

Innovation blocks are MAGNET's lenses for organising experimentation; challenges are the
urban challenges Celje addresses (and partner cities adopt).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.catalog.models import SCHEMA, Challenge, Entry, EntryRevision, InnovationBlock
from services.catalog.seed_entries import ENTRIES, PUBLISHED_AT
from shared.seeding import Seeded, SeedRow, seed_id, seed_key, seed_once, upsert

SEED_ACTOR = "system:seed"

INNOVATION_BLOCKS: list[tuple[str, dict[str, str], dict[str, str]]] = [
    (
        "governance",
        {
            "sl": "Upravljanje",
            "en": "Governance",
            "hr": "Upravljanje",
            "sk": "Riadenie",
            "it": "Governance",
        },
        {
            "en": "Connecting departments, aligning visions and making room for creative risk.",
            "sl": "Povezovanje oddelkov, usklajevanje vizij in prostor za ustvarjalno tveganje.",
        },
    ),
    (
        "participation",
        {
            "sl": "Participacija",
            "en": "Participation",
            "hr": "Sudjelovanje",
            "sk": "Participácia",
            "it": "Partecipazione",
        },
        {
            "en": "Residents of all generations co-solving urban challenges.",
            "sl": "Prebivalci vseh generacij skupaj rešujejo urbane izzive.",
        },
    ),
    (
        "creativity",
        {
            "sl": "Ustvarjalnost",
            "en": "Creativity",
            "hr": "Kreativnost",
            "sk": "Kreativita",
            "it": "Creatività",
        },
        {
            "en": "Space and support for new ideas, prototypes and creative industries.",
            "sl": "Prostor in podpora za nove ideje, prototipe in ustvarjalne industrije.",
        },
    ),
    (
        "digital-capacity",
        {
            "sl": "Digitalne zmogljivosti",
            "en": "Digital capacity",
            "hr": "Digitalni kapaciteti",
            "sk": "Digitálne kapacity",
            "it": "Capacità digitale",
        },
        {
            "en": "Sharing methods, stories and experience through a collaborative platform.",
            "sl": "Deljenje metod, zgodb in izkušenj prek sodelovalne digitalne platforme.",
        },
    ),
    (
        "economic-development",
        {
            "sl": "Gospodarski razvoj",
            "en": "Economic development",
            "hr": "Gospodarski razvoj",
            "sk": "Hospodársky rozvoj",
            "it": "Sviluppo economico",
        },
        {
            "en": "Quality jobs, entrepreneurship and a fairer, more resilient local economy.",
            "sl": "Kakovostna delovna mesta, podjetništvo ter pravičnejše in odpornejše lokalno "
            "gospodarstvo.",
        },
    ),
]

CHALLENGES: list[tuple[str, dict[str, str], dict[str, str]]] = [
    (
        "housing",
        {
            "sl": "Dostopna stanovanja",
            "en": "Affordable housing",
            "hr": "Priuštivo stanovanje",
            "sk": "Dostupné bývanie",
            "it": "Abitazioni accessibili",
        },
        {
            "en": "Affordable, sustainable and community-focused housing.",
            "sl": "Dostopna, trajnostna in skupnosti namenjena stanovanja.",
        },
    ),
    (
        "mobility",
        {
            "sl": "Trajnostna mobilnost",
            "en": "Sustainable mobility",
            "hr": "Održiva mobilnost",
            "sk": "Udržateľná mobilita",
            "it": "Mobilità sostenibile",
        },
        {"en": "Getting around the city sustainably.", "sl": "Trajnostno gibanje po mestu."},
    ),
    (
        "industry-4-0",
        {
            "sl": "Industrija 4.0",
            "en": "Industry 4.0",
            "hr": "Industrija 4.0",
            "sk": "Priemysel 4.0",
            "it": "Industria 4.0",
        },
        {
            "en": "Quality jobs and knowledge transfer in industry 4.0.",
            "sl": "Kakovostna delovna mesta in prenos znanja v industriji 4.0.",
        },
    ),
    (
        "culture-creativity",
        {
            "sl": "Kultura in ustvarjalnost",
            "en": "Culture and creativity",
            "hr": "Kultura i kreativnost",
            "sk": "Kultúra a kreativita",
            "it": "Cultura e creatività",
        },
        {
            "en": "Culture, creativity and creative hubs.",
            "sl": "Kultura, ustvarjalnost in ustvarjalna središča.",
        },
    ),
    (
        "energy-communities",
        {
            "sl": "Energetske skupnosti",
            "en": "Energy communities",
            "hr": "Energetske zajednice",
            "sk": "Energetické komunity",
            "it": "Comunità energetiche",
        },
        {
            "en": "Local clean energy and measures against energy poverty.",
            "sl": "Lokalna čista energija in ukrepi za zmanjšanje energetske revščine.",
        },
    ),
    (
        "city-vibe",
        {
            "sl": "Utrip mesta",
            "en": "City Vibe",
            "hr": "Gradski duh",
            "sk": "Atmosféra mesta",
            "it": "Vivacità urbana",
        },
        {
            "en": "Vibrant public spaces that keep people of all ages engaged in community life.",
            "sl": "Živahni javni prostori, ki ljudi vseh generacij vključujejo v življenje "
            "skupnosti.",
        },
    ),
]


async def seed(connection: AsyncConnection) -> Seeded:
    """The taxonomy brought up to date; the demo entries once."""
    reference = 0
    for model, terms in ((InnovationBlock, INNOVATION_BLOCKS), (Challenge, CHALLENGES)):
        rows = [
            {"code": code, "label": label, "description": description, "position": position}
            for position, (code, label, description) in enumerate(terms)
        ]
        reference += await upsert(connection, model, rows, key=["code"])
    seeded = await seed_once(connection, SCHEMA, entry_rows())
    seeded.reference_updated = reference
    await _first_revisions(connection, [row.values["id"] for row in seeded.added])
    return seeded


def entry_rows() -> list[SeedRow]:
    """The published entries other services link to by `seed_id("entry", slug)`."""
    return [
        SeedRow(
            key=seed_key("entry", entry["slug"]),
            model=Entry,
            values={
                "id": seed_id("entry", entry["slug"]),
                **entry,
                "status": "published",
                "published_at": datetime.fromisoformat(PUBLISHED_AT),
                "version": 1,
                "created_by": SEED_ACTOR,
                "updated_by": SEED_ACTOR,
            },
        )
        for entry in ENTRIES
    ]


async def _first_revisions(connection: AsyncConnection, entry_ids: list[uuid.UUID]) -> None:
    """The `created` revision of each entry this run added."""
    if not entry_ids:
        return
    seeded = select(
        Entry.id,
        Entry.version,
        literal("created"),
        literal(SEED_ACTOR),
        literal("admin"),
        func.jsonb_build_object("seeded", True),
    ).where(Entry.id.in_(entry_ids))
    await connection.execute(
        insert(EntryRevision).from_select(
            ["entry_id", "version", "action", "actor", "actor_role", "changes"], seeded
        )
    )
