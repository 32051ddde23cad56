"""Demo contributions: residents' ideas, supports and comments in the City Vibe and Housing labs.

They follow the labs' own words (vibrant public spaces for every generation, the MiniHub in
Prebold for young people and the Intergenerational Centre; affordable, sustainable,
community-focused housing). Nobody real is behind them and none pretends to be: the authors
sign as "Udeleženec delavnice" (a workshop participant) or "Anonimni prebivalec", carry no
email, and each demo text says it is an example.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from services.participation.models import Lab
from services.participation.proposal_models import Comment, Proposal, Resident, Support
from shared.seeding import SeedRow, seed_id, seed_key

WORKSHOP_PARTICIPANT = "Udeleženec delavnice"
ANONYMOUS = "Anonimni prebivalec"
PARTICIPANTS = 8  # demo residents: the first two write, all of them may support
ANSWERED_AT = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
DEMO_SL = " (Primer predloga.)"
DEMO_EN = " (An example proposal.)"

# (key, lab, author number, title, body, supporters, answer)
PROPOSALS: list[
    tuple[str, str, int, dict[str, str], dict[str, str], int, dict[str, Any] | None]
] = [
    (
        "benches-by-the-savinja",
        "city-vibe-lab",
        1,
        {"sl": "Klopi in senca ob Savinji", "en": "Benches and shade by the Savinja"},
        {
            "sl": "Ob nabrežju naj bo več klopi in dreves, da se tam ustavijo tudi starejši "
            "in družine z otroki." + DEMO_SL,
            "en": "More benches and trees along the riverside, so older people and families "
            "with children stop there too." + DEMO_EN,
        },
        5,
        None,
    ),
    (
        "youth-evenings-in-prebold",
        "city-vibe-lab",
        2,
        {
            "sl": "Večeri mladih v Mini središču Prebold",
            "en": "Youth evenings at the MiniHub Prebold",
        },
        {
            "sl": "Enkrat na mesec naj mladi sami pripravijo večer v Mini središču in nanj "
            "povabijo obiskovalce Medgeneracijskega centra." + DEMO_SL,
            "en": "Once a month, young people prepare an evening at the MiniHub themselves and "
            "invite visitors of the Intergenerational Centre." + DEMO_EN,
        },
        3,
        {
            "state": "evaluating",
            "answer": {
                "sl": "Predlog bomo preučili skupaj z Mladinskim centrom in Občino Prebold.",
                "en": "We are looking into it with the Youth Centre and the Municipality of "
                "Prebold.",
            },
        },
    ),
    (
        "shared-flats-for-young",
        "housing-lab",
        1,
        {"sl": "Skupna stanovanja za mlade", "en": "Shared flats for young people"},
        {
            "sl": "Prazna mestna stanovanja naj se oddajo mladim v skupno najemanje po dostopni "
            "najemnini, v zameno za pomoč sosedom." + DEMO_SL,
            "en": "Empty municipal flats let to young people to share at an affordable rent, "
            "in exchange for helping their neighbours." + DEMO_EN,
        },
        6,
        None,
    ),
    (
        "energy-renovation-advice",
        "housing-lab",
        2,
        {"sl": "Svetovanje za energetsko prenovo", "en": "Advice on energy renovation"},
        {
            "sl": "V Središču MAGNET naj bo enkrat na teden svetovanje, kako skupaj s sosedi "
            "prenoviti blok in znižati stroške ogrevanja." + DEMO_SL,
            "en": "A weekly advice hour at the MAGNET Hub on renovating a block of flats with "
            "the neighbours and cutting heating costs." + DEMO_EN,
        },
        2,
        None,
    ),
]

# (key, proposal, author number, parent key, text)
COMMENTS: list[tuple[str, str, int, str | None, str]] = [
    (
        "benches-shade",
        "benches-by-the-savinja",
        2,
        None,
        "Poleti je ob reki premalo sence, zato bi drevesa zelo pomagala.",
    ),
    (
        "benches-fountain",
        "benches-by-the-savinja",
        1,
        "benches-shade",
        "Strinjam se; prav bi prišlo tudi pitnik.",
    ),
    (
        "flats-rules",
        "shared-flats-for-young",
        2,
        None,
        "Dobra ideja. Kdo bi določil, kdo lahko dobi tako stanovanje?",
    ),
]


def _participant(number: int) -> tuple[str, Any]:
    key = f"participant-{number}"
    return key, seed_id("demo-resident", key)


def resident_rows() -> list[SeedRow]:
    rows = []
    for number in range(1, PARTICIPANTS + 1):
        key, resident_id = _participant(number)
        rows.append(
            SeedRow(
                key=seed_key("demo-resident", key),
                model=Resident,
                values={
                    "id": resident_id,
                    "subject": f"demo:{key}",
                    "name": WORKSHOP_PARTICIPANT if number <= 2 else ANONYMOUS,
                    "email": None,
                    "language": "sl",
                },
            )
        )
    return rows


def proposal_rows() -> list[SeedRow]:
    rows: list[SeedRow] = []
    for key, lab_slug, author, title, body, supporters, answer in PROPOSALS:
        proposal_id = seed_id("proposal", key)
        lab_id = seed_id("lab", lab_slug)
        author_id = _participant(author)[1]
        rows.append(
            SeedRow(
                key=seed_key("proposal", key),
                model=Proposal,
                values={
                    "id": proposal_id,
                    "lab_id": lab_id,
                    "phase": "co-create",
                    "title": title,
                    "body": body,
                    "author_id": author_id,
                    "state": answer["state"] if answer else "published",
                    "answer": answer["answer"] if answer else None,
                    "answered_at": ANSWERED_AT if answer else None,
                },
                parents=((Lab.id, lab_id), (Resident.id, author_id)),
            )
        )
        for number in range(PARTICIPANTS, PARTICIPANTS - supporters, -1):
            supporter_key, supporter_id = _participant(number)
            rows.append(
                SeedRow(
                    key=seed_key("support", key, supporter_key),
                    model=Support,
                    values={
                        "id": seed_id("support", key, supporter_key),
                        "proposal_id": proposal_id,
                        "resident_id": supporter_id,
                    },
                    parents=((Proposal.id, proposal_id), (Resident.id, supporter_id)),
                )
            )
    return rows


def comment_rows() -> list[SeedRow]:
    rows = []
    for key, proposal_key, author, parent, text in COMMENTS:
        proposal_id = seed_id("proposal", proposal_key)
        author_id = _participant(author)[1]
        parent_id = seed_id("comment", parent) if parent else None
        rows.append(
            SeedRow(
                key=seed_key("comment", key),
                model=Comment,
                values={
                    "id": seed_id("comment", key),
                    "proposal_id": proposal_id,
                    "parent_id": parent_id,
                    "author_id": author_id,
                    "body": text,
                },
                parents=(
                    (Proposal.id, proposal_id),
                    (Resident.id, author_id),
                    (Comment.id, parent_id),
                ),
            )
        )
    return rows


def contribution_rows() -> list[SeedRow]:
    return [*resident_rows(), *proposal_rows(), *comment_rows()]
