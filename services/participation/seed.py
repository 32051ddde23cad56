"""The participation service's demo data: the MAGNET Hub in Celje and the MiniHub in Prebold.

The hubs are the physical places for co-creation (collaboration, prototyping, community
programmes); Prebold's MiniHub mainly engages young people and welcomes the residents of
the Prebold Intergenerational Centre. Opening hours and spaces are demo values.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.participation.models import Hub, Space
from shared.seeding import seed_id, upsert

TIMEZONE = "Europe/Ljubljana"
WEEKDAYS_9_TO_20 = {
    day: [{"opens": "09:00", "closes": "20:00"}] for day in ("mon", "tue", "wed", "thu", "fri")
}
AFTERNOONS_AND_SATURDAY = {
    **{day: [{"opens": "14:00", "closes": "20:00"}] for day in ("mon", "tue", "wed", "thu", "fri")},
    "sat": [{"opens": "09:00", "closes": "13:00"}],
}

HUBS: list[dict[str, Any]] = [
    {
        "slug": "magnet-hub-celje",
        "name": {"sl": "Središče MAGNET Celje", "en": "MAGNET Hub Celje"},
        "description": {
            "sl": "Fizični prostor za soustvarjanje: sodelovanje, izdelava prototipov in "
            "programi skupnosti.",
            "en": "A physical space for co-creation: collaboration, prototyping and community "
            "programmes.",
        },
        "town": "Celje",
        "spaces": [
            (
                "co-creation-room",
                {"sl": "Soustvarjalnica", "en": "Co-creation room"},
                "room",
                30,
                WEEKDAYS_9_TO_20,
                15,
                False,
            ),
            (
                "prototyping-workshop",
                {"sl": "Delavnica za prototipe", "en": "Prototyping workshop"},
                "workshop",
                12,
                WEEKDAYS_9_TO_20,
                30,
                True,
            ),
            (
                "coworking-desk-1",
                {"sl": "Delovna miza 1", "en": "Coworking desk 1"},
                "desk",
                1,
                WEEKDAYS_9_TO_20,
                0,
                False,
            ),
            (
                "coworking-desk-2",
                {"sl": "Delovna miza 2", "en": "Coworking desk 2"},
                "desk",
                1,
                WEEKDAYS_9_TO_20,
                0,
                False,
            ),
            (
                "projector-kit",
                {"sl": "Projektor z ozvočenjem", "en": "Projector and sound kit"},
                "equipment",
                1,
                WEEKDAYS_9_TO_20,
                0,
                False,
            ),
        ],
    },
    {
        "slug": "minihub-prebold",
        "name": {"sl": "Mini središče Prebold", "en": "MiniHub Prebold"},
        "description": {
            "sl": "Prostor predvsem za mlade, odprt tudi za prebivalce, dejavne v "
            "Medgeneracijskem centru Prebold.",
            "en": "A space primarily for young people, also welcoming residents active in the "
            "Prebold Intergenerational Centre.",
        },
        "town": "Prebold",
        "spaces": [
            (
                "youth-room",
                {"sl": "Soba za mlade", "en": "Youth room"},
                "room",
                20,
                AFTERNOONS_AND_SATURDAY,
                15,
                False,
            ),
            (
                "meeting-corner",
                {"sl": "Kotiček za sestanke", "en": "Meeting corner"},
                "room",
                8,
                AFTERNOONS_AND_SATURDAY,
                0,
                False,
            ),
        ],
    },
]


async def seed(connection: AsyncConnection) -> int:
    hubs, spaces = [], []
    for hub in HUBS:
        hub_id = seed_id("hub", hub["slug"])
        hubs.append(
            {
                "id": hub_id,
                "slug": hub["slug"],
                "name": hub["name"],
                "description": hub["description"],
                "town": hub["town"],
                "timezone": TIMEZONE,
            }
        )
        for slug, name, kind, capacity, hours, buffer_minutes, approval in hub["spaces"]:
            spaces.append(
                {
                    "id": seed_id("space", hub["slug"], slug),
                    "hub_id": hub_id,
                    "slug": slug,
                    "name": name,
                    "kind": kind,
                    "capacity": capacity,
                    "opening_hours": hours,
                    "buffer_minutes": buffer_minutes,
                    "requires_approval": approval,
                }
            )
    changed = await upsert(connection, Hub, hubs, key=["id"])
    return changed + await upsert(
        connection,
        Space,
        spaces,
        key=["id"],
    )
