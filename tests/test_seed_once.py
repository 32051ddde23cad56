"""Demo data goes into a database once; what people changed afterwards is never touched."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest

from cli.data import SeedReport, seed_all
from shared.db import libpq_url
from shared.migrate import migrate_all
from shared.seeding import seed_id
from tests.conftest import ADMIN_EMAIL, make_settings

SCHEMAS = ("identity", "catalog", "participation", "transfer")
VARAZDIN_HOUSING = seed_id("transfer-plan", "varazdin", "housing")


@pytest.fixture
def migrated(fresh_database: str) -> str:
    """Migrated and not yet seeded, of its own: these tests change demo rows."""
    migrate_all(fresh_database)
    return fresh_database


def seed(url: str, *, dry_run: bool = False) -> SeedReport:
    return asyncio.run(seed_all(url, make_settings(url), dry_run=dry_run))


def sql(url: str, statement: str, *args: Any) -> list[asyncpg.Record]:
    async def run() -> list[asyncpg.Record]:
        connection = await asyncpg.connect(libpq_url(url))
        try:
            return list(await connection.fetch(statement, *args))
        finally:
            await connection.close()

    return asyncio.run(run())


def count(url: str, statement: str, *args: Any) -> int:
    value: int = sql(url, statement, *args)[0][0]
    return value


def entry_slugs(url: str) -> set[str]:
    return {row["slug"] for row in sql(url, "SELECT slug FROM catalog.entries")}


def replace_varazdin_housing_plan(url: str) -> None:
    """What a partner does: the seeded plan deleted, their own plan for the challenge."""
    for table in ("milestones", "indicators"):
        sql(url, f"DELETE FROM transfer.{table} WHERE plan_id = $1", VARAZDIN_HOUSING)
    sql(url, "DELETE FROM transfer.plans WHERE id = $1", VARAZDIN_HOUSING)
    sql(
        url,
        "INSERT INTO transfer.plans (city_code, external_id, challenge, title, stages,"
        " practice_ids) VALUES ('varazdin', 'vz-housing', 'housing',"
        " '{\"hr\": \"Stanovanje\"}', '{}', '{}')",
    )


class TestSeedOnce:
    def test_deleted_and_edited_rows_stay_as_people_left_them(self, migrated: str) -> None:
        first = seed(migrated)
        sql(migrated, "DELETE FROM catalog.entries WHERE slug = 'citycentredoctor'")
        sql(
            migrated,
            'UPDATE catalog.entries SET title = \'{"en": "Edited"}\', version = version + 1'
            " WHERE slug = 'creative-spirits'",
        )
        sql(migrated, "UPDATE participation.spaces SET capacity = 25 WHERE slug = 'youth-room'")
        sql(migrated, "DELETE FROM identity.users WHERE email = $1", ADMIN_EMAIL)
        replace_varazdin_housing_plan(migrated)

        again = seed(migrated)

        assert first.fresh and sum(first.added.values()) > 0
        assert not again.fresh
        assert again.added == {"catalog": 0, "participation": 0, "transfer": 0, "identity": 0}
        assert "citycentredoctor" not in entry_slugs(migrated)
        assert (
            sql(migrated, "SELECT title FROM catalog.entries WHERE slug = 'creative-spirits'")[0][0]
            == '{"en": "Edited"}'
        )
        assert (
            count(migrated, "SELECT capacity FROM participation.spaces WHERE slug = 'youth-room'")
            == 25
        )
        assert (
            count(migrated, "SELECT count(*) FROM identity.users WHERE email = $1", ADMIN_EMAIL)
            == 0
        )
        plans = sql(
            migrated,
            "SELECT id, external_id FROM transfer.plans"
            " WHERE city_code = 'varazdin' AND challenge = 'housing'",
        )
        assert [plan["external_id"] for plan in plans] == ["vz-housing"]
        assert (
            count(
                migrated,
                "SELECT count(*) FROM transfer.milestones WHERE plan_id = $1",
                VARAZDIN_HOUSING,
            )
            == 0
        )

    def test_a_demo_row_never_offered_is_added_once(self, migrated: str) -> None:
        seed(migrated)
        # As when a new version brings a demo row this database never had.
        sql(
            migrated,
            "DELETE FROM catalog.entry_revisions WHERE entry_id = $1",
            seed_id("entry", "creative-spirits"),
        )
        sql(migrated, "DELETE FROM catalog.entries WHERE slug = 'creative-spirits'")
        sql(migrated, "DELETE FROM catalog.seed_records WHERE key = 'entry/creative-spirits'")

        added = seed(migrated)
        again = seed(migrated)

        assert added.added["catalog"] == 1
        assert again.added["catalog"] == 0
        assert "creative-spirits" in entry_slugs(migrated)
        assert (
            count(
                migrated,
                "SELECT count(*) FROM catalog.entry_revisions WHERE entry_id = $1",
                seed_id("entry", "creative-spirits"),
            )
            == 1
        )

    def test_a_new_demo_row_whose_parent_people_replaced_is_skipped_for_good(
        self, migrated: str
    ) -> None:
        seed(migrated)
        replace_varazdin_housing_plan(migrated)
        sql(
            migrated,
            "DELETE FROM transfer.seed_records WHERE key LIKE 'transfer-%/varazdin/housing%'",
        )

        skipped = seed(migrated)

        assert skipped.added["transfer"] == 0
        assert len(skipped.schemas["transfer"].skipped) == 4  # the plan, 2 milestones, 1 indicator
        assert "skipped 4" in skipped.describe()
        assert (
            count(
                migrated,
                "SELECT count(*) FROM transfer.seed_records"
                " WHERE key LIKE 'transfer-%/varazdin/housing%' AND NOT added",
            )
            == 4
        )
        assert (
            count(migrated, "SELECT count(*) FROM transfer.plans WHERE city_code = 'varazdin'") == 2
        )

    def test_a_new_demo_booking_that_overlaps_a_person_s_booking_is_skipped(
        self, migrated: str
    ) -> None:
        seed(migrated)
        room = seed_id("space", "magnet-hub-celje", "co-creation-room")
        sql(
            migrated,
            "DELETE FROM participation.bookings WHERE id = $1",
            seed_id("booking", "housing-co-creation-workshop"),
        )
        sql(
            migrated,
            "DELETE FROM participation.seed_records"
            " WHERE key = 'booking/housing-co-creation-workshop'",
        )
        sql(
            migrated,
            "INSERT INTO participation.bookings (id, space_id, during, status, purpose,"
            " booked_by) VALUES (gen_random_uuid(), $1, tstzrange('2026-12-10 15:00+00',"
            " '2026-12-10 17:00+00'), 'confirmed', 'Residents'' meeting', 'resident')",
            room,
        )

        report = seed(migrated)

        assert [row.key for row in report.schemas["participation"].skipped] == [
            "booking/housing-co-creation-workshop"
        ]
        purposes = sql(
            migrated,
            "SELECT purpose FROM participation.bookings WHERE space_id = $1"
            " AND during && tstzrange('2026-12-10', '2026-12-11')",
            room,
        )
        assert [row["purpose"] for row in purposes] == ["Residents' meeting"]

    def test_a_database_seeded_before_the_records_is_adopted_not_restored(
        self, migrated: str
    ) -> None:
        seed(migrated)
        sql(migrated, "DELETE FROM catalog.entries WHERE slug = 'citycentredoctor'")
        replace_varazdin_housing_plan(migrated)
        for schema in SCHEMAS:
            sql(migrated, f"DELETE FROM {schema}.seed_records")

        adopted = seed(migrated)

        assert not adopted.fresh
        assert adopted.added == {"catalog": 0, "participation": 0, "transfer": 0, "identity": 0}
        assert "loaded by an earlier version" in adopted.describe()
        assert "citycentredoctor" not in entry_slugs(migrated)
        assert count(migrated, "SELECT count(*) FROM catalog.seed_records") == 7

    def test_a_database_holding_people_s_rows_is_told_so(self, migrated: str) -> None:
        sql(
            migrated,
            "INSERT INTO catalog.entries (id, slug, kind, title, summary, body,"
            " innovation_blocks, challenges, cities, status, version, created_by, updated_by)"
            " VALUES (gen_random_uuid(), 'our-story', 'story', '{\"en\": \"Ours\"}', '{}',"
            " '{}', '{}', '{}', '{}', 'draft', 1, 'editor', 'editor')",
        )

        report = seed(migrated)

        assert not report.fresh
        assert report.describe().startswith("this database already holds data: added ")
        assert "(catalog 7, " in report.describe()
        assert len(entry_slugs(migrated)) == 8

    def test_a_dry_run_says_what_it_would_add_and_writes_nothing(self, migrated: str) -> None:
        dry = seed(migrated, dry_run=True)
        written = count(migrated, "SELECT count(*) FROM catalog.entries") + count(
            migrated, "SELECT count(*) FROM catalog.seed_records"
        )
        real = seed(migrated)

        assert written == 0
        assert dry.added == real.added
        assert "would add" in dry.describe(dry_run=True)
        assert len(entry_slugs(migrated)) == 7

    def test_two_seeders_at_once_add_each_row_once(self, migrated: str) -> None:
        settings = make_settings(migrated)

        async def both() -> list[SeedReport]:
            return list(
                await asyncio.gather(seed_all(migrated, settings), seed_all(migrated, settings))
            )

        reports = asyncio.run(both())

        totals = sorted(sum(report.added.values()) for report in reports)
        assert totals[0] == 0 and totals[1] > 0
        assert count(migrated, "SELECT count(*) FROM participation.events") == 4
