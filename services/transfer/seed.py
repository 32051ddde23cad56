"""The transfer service's demo data: the three partner cities and the challenges they adopted.

At the Opening Site Visit in Celje all three transfer partners chose City Vibe and Housing;
Košice will also explore energy communities, and Nardò will focus on creative hubs.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from services.transfer.models import City, CityChallenge
from shared.seeding import upsert

CITIES = [
    ("varazdin", "Varaždin", "HR", "City of Varaždin", ["city-vibe", "housing"]),
    ("kosice", "Košice", "SK", "City of Košice", ["city-vibe", "housing", "energy-communities"]),
    ("nardo", "Nardò", "IT", "City of Nardò", ["city-vibe", "housing", "culture-creativity"]),
]


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
    return changed + await upsert(
        connection,
        CityChallenge,
        adopted,
        key=["city_code", "challenge"],
    )
