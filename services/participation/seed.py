"""The participation service's demo data: the MAGNET Hub in Celje and the MiniHub in Prebold.

The hubs are the physical places for co-creation (collaboration, prototyping, community
programmes); Prebold's MiniHub mainly engages young people and welcomes the residents of
the Prebold Intergenerational Centre. Opening hours and spaces are demo values.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import Range
from sqlalchemy.ext.asyncio import AsyncConnection

from services.participation.models import SCHEMA, Booking, Event, Hub, Lab, LabPhase, Space
from services.participation.seed_programme import (
    CURRENT_PHASE,
    EVENTS,
    LABS,
    PHASE_DATES,
    PHASE_TITLES,
    TIMEZONE,
)
from services.participation.seed_proposals import contribution_rows
from shared.seeding import Seeded, SeedRow, seed_id, seed_key, seed_once

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


def place_rows() -> list[SeedRow]:
    """The hubs and their spaces."""
    rows: list[SeedRow] = []
    for hub in HUBS:
        hub_id = seed_id("hub", hub["slug"])
        rows.append(
            SeedRow(
                key=seed_key("hub", hub["slug"]),
                model=Hub,
                values={
                    "id": hub_id,
                    "slug": hub["slug"],
                    "name": hub["name"],
                    "description": hub["description"],
                    "town": hub["town"],
                    "timezone": TIMEZONE,
                },
            )
        )
        for slug, name, kind, capacity, hours, buffer_minutes, approval in hub["spaces"]:
            rows.append(
                SeedRow(
                    key=seed_key("space", hub["slug"], slug),
                    model=Space,
                    values={
                        "id": seed_id("space", hub["slug"], slug),
                        "hub_id": hub_id,
                        "slug": slug,
                        "name": name,
                        "kind": kind,
                        "capacity": capacity,
                        "opening_hours": hours,
                        "buffer_minutes": buffer_minutes,
                        "requires_approval": approval,
                    },
                    parents=((Hub.id, hub_id),),
                )
            )
    return rows


def lab_rows() -> list[SeedRow]:
    """The labs, each with its phases."""
    rows: list[SeedRow] = []
    for lab in LABS:
        lab_id = seed_id("lab", lab["slug"])
        hub_id = seed_id("hub", lab["hub"])
        rows.append(
            SeedRow(
                key=seed_key("lab", lab["slug"]),
                model=Lab,
                values={
                    "id": lab_id,
                    "slug": lab["slug"],
                    "title": lab["title"],
                    "description": lab["description"],
                    "challenge": lab["challenge"],
                    "hub_id": hub_id,
                    "partners": lab["partners"],
                    "methods": lab["methods"],
                    "outcomes": [],
                },
                parents=((Hub.id, hub_id),),
            )
        )
        for position, (key, starts_on, ends_on) in enumerate(PHASE_DATES, start=1):
            rows.append(
                SeedRow(
                    key=seed_key("lab-phase", lab["slug"], key),
                    model=LabPhase,
                    values={
                        "lab_id": lab_id,
                        "position": position,
                        "key": key,
                        "title": PHASE_TITLES[key],
                        "starts_on": starts_on,
                        "ends_on": ends_on,
                        "is_current": key == CURRENT_PHASE,
                    },
                    parents=((Lab.id, lab_id),),
                )
            )
    return rows


def event_rows() -> list[SeedRow]:
    """The events; one in a hub space holds its booking."""
    rows: list[SeedRow] = []
    for slug, title, description, lab_slug, place, starts_at, ends_at, capacity in EVENTS:
        event_id = seed_id("event", slug)
        lab_id = seed_id("lab", lab_slug) if lab_slug else None
        space_id = seed_id("space", *place) if isinstance(place, tuple) else None
        rows.append(
            SeedRow(
                key=seed_key("event", slug),
                model=Event,
                values={
                    "id": event_id,
                    "title": title,
                    "description": description,
                    "lab_id": lab_id,
                    "space_id": space_id,
                    "address": None if space_id else place,
                    "starts_at": starts_at,
                    "ends_at": ends_at,
                    "capacity": capacity,
                    "is_public": True,
                    "created_by": "seed",
                },
                parents=((Lab.id, lab_id), (Space.id, space_id)),
            )
        )
        if space_id is not None:
            rows.append(
                SeedRow(
                    key=seed_key("booking", slug),
                    model=Booking,
                    values={
                        "id": seed_id("booking", slug),
                        "space_id": space_id,
                        "during": Range(starts_at, ends_at, bounds="[)"),
                        "status": "confirmed",
                        "purpose": title["en"],
                        "organisation": "MAGNET",
                        "booked_by": "seed",
                        "event_id": event_id,
                    },
                    parents=((Space.id, space_id), (Event.id, event_id)),
                )
            )
    return rows


async def seed(connection: AsyncConnection) -> Seeded:
    rows = [*place_rows(), *lab_rows(), *event_rows(), *contribution_rows()]
    return await seed_once(connection, SCHEMA, rows)
