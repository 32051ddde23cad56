"""The transfer service's demo data: the three partner cities and the challenges they adopted.

At the Opening Site Visit in Celje all three transfer partners chose City Vibe and Housing;
Košice will also explore energy communities, and Nardò will focus on creative hubs. Each
city gets one plan per adopted challenge. City Vibe links the URBACT good practices about
lively town centres (the Towns' Living Room, CityCentreDoctor); creative hubs link CREATIVE
SPIRITS. Dates after the Opening Site Visit and every indicator value are demo values, and
their titles say so.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.transfer.models import City, CityChallenge, Indicator, Milestone, Plan
from shared.seeding import seed_id, upsert

CITIES = [
    ("varazdin", "Varaždin", "HR", "City of Varaždin", ["city-vibe", "housing"]),
    ("kosice", "Košice", "SK", "City of Košice", ["city-vibe", "housing", "energy-communities"]),
    ("nardo", "Nardò", "IT", "City of Nardò", ["city-vibe", "housing", "culture-creativity"]),
]
PRACTICES = {
    "city-vibe": ["towns-living-room", "citycentredoctor"],
    "culture-creativity": ["creative-spirits"],
}
TITLES = {
    "city-vibe": "City Vibe",
    "housing": "Housing",
    "energy-communities": "Energy communities",
    "culture-creativity": "Creative hubs",
}
STAGES = {  # demo dates; the understand stage opens with the Opening Site Visit
    "understand": {"start": "2025-10-01", "end": "2026-06-30"},
    "adapt": {"start": "2026-07-01", "end": "2027-03-31"},
    "reuse": {"start": "2027-04-01", "end": "2027-12-31"},
}


def _plan(city: str, name: str, challenge: str) -> dict[str, Any]:
    return {
        "id": seed_id("transfer-plan", city, challenge),
        "city_code": city,
        "challenge": challenge,
        "title": {"en": f"{name}: transferring Celje's {TITLES[challenge]} practices"},
        "stages": STAGES,
        "practice_ids": [seed_id("entry", slug) for slug in PRACTICES.get(challenge, [])],
    }


def _milestones(city: str, challenge: str) -> list[dict[str, Any]]:
    plan_id = seed_id("transfer-plan", city, challenge)
    return [
        {
            "id": seed_id("transfer-milestone", city, challenge, "osv"),
            "city_code": city,
            "plan_id": plan_id,
            "title": {"en": "Challenge chosen at the Opening Site Visit in Celje"},
            "due": date(2025, 10, 31),
            "status": "done",
        },
        {
            "id": seed_id("transfer-milestone", city, challenge, "local-plan"),
            "city_code": city,
            "plan_id": plan_id,
            "title": {"en": "Local adaptation plan agreed (demo date)"},
            "due": date(2026, 6, 30),
            "status": "in_progress",
        },
    ]


def _indicator(city: str, challenge: str) -> dict[str, Any]:
    return {
        "id": seed_id("transfer-indicator", city, challenge, "local-events"),
        "city_code": city,
        "plan_id": seed_id("transfer-plan", city, challenge),
        "code": "LOCAL-EVENTS",
        "title": {"en": "Co-creation events with residents (demo values)"},
        "unit": "events",
        "measure": "unit",
        "ascending": True,
        "baseline_value": 0,
        "baseline_date": date(2025, 10, 31),
        "target_value": 12,
        "target_date": date(2027, 12, 31),
    }


async def seed(connection: AsyncConnection) -> int:
    cities = [
        {"code": code, "name": name, "country": country, "coordinator": coordinator}
        for code, name, country, coordinator, _ in CITIES
    ]
    adopted = [
        {"city_code": code, "challenge": challenge, "position": position}
        for code, _, _, _, challenges in CITIES
        for position, challenge in enumerate(challenges)
    ]
    changed = await upsert(connection, City, cities, key=["code"])
    changed += await upsert(connection, CityChallenge, adopted, key=["city_code", "challenge"])
    pairs = [(code, name, c) for code, name, _, _, challenges in CITIES for c in challenges]
    plans = [_plan(code, name, challenge) for code, name, challenge in pairs]
    changed += await upsert(connection, Plan, plans, key=["city_code", "challenge"])
    milestones = [m for code, _, challenge in pairs for m in _milestones(code, challenge)]
    changed += await upsert(connection, Milestone, milestones, key=["id"])
    indicators = [_indicator(code, challenge) for code, _, challenge in pairs]
    return changed + await upsert(connection, Indicator, indicators, key=["id"])
