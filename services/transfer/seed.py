"""The transfer service's demo data: the three partner cities and the challenges they adopted.

At the Opening Site Visit in Celje all three transfer partners chose City Vibe and Housing;
Košice will also explore energy communities, and Nardò will focus on creative hubs. Each
city gets one plan per adopted challenge. City Vibe links the URBACT good practices about
lively town centres (the Towns' Living Room, CityCentreDoctor); creative hubs link CREATIVE
SPIRITS. Dates after the Opening Site Visit and every indicator value are demo values, and
their titles say so. Texts are in English and the city's own language (`seed_texts`).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncConnection

from services.transfer.models import SCHEMA, City, CityChallenge, Indicator, Milestone, Plan
from services.transfer.seed_texts import (
    CITY_DESCRIPTIONS,
    INDICATOR_TITLE,
    MILESTONE_TITLES,
    in_languages,
    plan_title,
)
from shared.seeding import Seeded, SeedRow, seed_id, seed_key, seed_once

CITIES = [
    ("varazdin", "Varaždin", "HR", "City of Varaždin", ["city-vibe", "housing"]),
    ("kosice", "Košice", "SK", "City of Košice", ["city-vibe", "housing", "energy-communities"]),
    ("nardo", "Nardò", "IT", "City of Nardò", ["city-vibe", "housing", "culture-creativity"]),
]
PRACTICES = {
    "city-vibe": ["towns-living-room", "citycentredoctor"],
    "culture-creativity": ["creative-spirits"],
}
STAGES = {  # demo dates; the understand stage opens with the Opening Site Visit
    "understand": {"start": "2025-10-01", "end": "2026-06-30"},
    "adapt": {"start": "2026-07-01", "end": "2027-03-31"},
    "reuse": {"start": "2027-04-01", "end": "2027-12-31"},
}


def _plan(city: str, name: str, challenge: str) -> SeedRow:
    # No external_id: a partner's first sync takes the plan over by its challenge.
    return SeedRow(
        key=seed_key("transfer-plan", city, challenge),
        model=Plan,
        values={
            "id": seed_id("transfer-plan", city, challenge),
            "city_code": city,
            "challenge": challenge,
            "title": plan_title(city, name, challenge),
            "stages": STAGES,
            "practice_ids": [seed_id("entry", slug) for slug in PRACTICES.get(challenge, [])],
        },
        parents=((City.code, city),),
    )


def _milestones(city: str, challenge: str) -> list[SeedRow]:
    plan_id = seed_id("transfer-plan", city, challenge)
    milestones = [
        ("osv", date(2025, 10, 31), "done"),
        ("local-plan", date(2026, 6, 30), "in_progress"),
    ]
    return [
        SeedRow(
            key=seed_key("transfer-milestone", city, challenge, slug),
            model=Milestone,
            values={
                "id": seed_id("transfer-milestone", city, challenge, slug),
                "city_code": city,
                "plan_id": plan_id,
                "title": in_languages(city, MILESTONE_TITLES[slug]),
                "due": due,
                "status": status,
            },
            parents=((Plan.id, plan_id),),
        )
        for slug, due, status in milestones
    ]


def _indicator(city: str, challenge: str) -> SeedRow:
    plan_id = seed_id("transfer-plan", city, challenge)
    return SeedRow(
        key=seed_key("transfer-indicator", city, challenge, "local-events"),
        model=Indicator,
        values={
            "id": seed_id("transfer-indicator", city, challenge, "local-events"),
            "city_code": city,
            "plan_id": plan_id,
            "code": "LOCAL-EVENTS",
            "title": in_languages(city, INDICATOR_TITLE),
            "unit": "events",
            "measure": "unit",
            "ascending": True,
            "baseline_value": 0,
            "baseline_date": date(2025, 10, 31),
            "target_value": 12,
            "target_date": date(2027, 12, 31),
        },
        parents=((Plan.id, plan_id),),
    )


def rows() -> list[SeedRow]:
    """Cities, the challenges each adopted, and a plan per challenge with its milestones."""
    seeded: list[SeedRow] = []
    for code, name, country, coordinator, challenges in CITIES:
        seeded.append(
            SeedRow(
                key=seed_key("city", code),
                model=City,
                values={
                    "code": code,
                    "name": name,
                    "country": country,
                    "coordinator": coordinator,
                    "description": in_languages(code, CITY_DESCRIPTIONS[code]),
                },
            )
        )
        for position, challenge in enumerate(challenges):
            seeded.append(
                SeedRow(
                    key=seed_key("city-challenge", code, challenge),
                    model=CityChallenge,
                    values={"city_code": code, "challenge": challenge, "position": position},
                    parents=((City.code, code),),
                )
            )
            seeded.append(_plan(code, name, challenge))
            seeded += _milestones(code, challenge)
            seeded.append(_indicator(code, challenge))
    return seeded


async def seed(connection: AsyncConnection) -> Seeded:
    return await seed_once(connection, SCHEMA, rows())
