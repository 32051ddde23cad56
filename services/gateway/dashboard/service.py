"""Gather a city's dashboard from the services, concurrently, within one deadline.

Transfer (the city, its plans with milestones and indicators) and participation (upcoming
public events) are asked at the same time; the catalog is asked for the titles of the
practices the plans link as soon as the plans are known. Each section has the same
deadline, counted from the start of the request: a section whose service is down, slow or
answers nonsense becomes `unavailable` and the others are still shown. The services are
asked anonymously, so the dashboard shows what the public may see.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Mapping
from datetime import UTC, datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError

from services.gateway.dashboard import schemas
from services.gateway.http1 import UpstreamError
from services.gateway.upstreams import Upstream
from shared.i18n import pick
from shared.peers import raw_tracing_headers
from shared.problems import NotFound, Problem

M = TypeVar("M", bound=BaseModel)
S = TypeVar("S", bound=BaseModel)
KNOWN_CITIES = ("varazdin", "kosice", "nardo")
UPCOMING_EVENTS = 10
PAGE = 100


class UnexpectedAnswer(Exception):
    pass


class _Page(BaseModel, Generic[M]):
    items: list[M]


class Gathering:
    """One dashboard request: the services, its deadline and language, fetched practices."""

    def __init__(
        self, upstreams: Mapping[str, Upstream], deadline_seconds: float, lang: str, base_url: str
    ):
        self.upstreams = upstreams
        self.deadline = asyncio.get_running_loop().time() + deadline_seconds
        self.lang = lang
        self.base_url = base_url  # links in the dashboard are absolute on the public address
        self._entries: dict[uuid.UUID, asyncio.Task[schemas.EntryIn | None]] = {}

    async def get(self, service: str, path: str, model: type[M]) -> M | None:
        """GET a JSON resource from a service before the deadline; None when it is a 404."""
        remaining = self.deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise TimeoutError
        response = await self.upstreams[service].request(
            "GET",
            path,
            headers=raw_tracing_headers(),
            within=remaining,
        )
        body = await response.read()
        if response.status == 404:
            return None
        if response.status != 200:
            raise UnexpectedAnswer(f"The {service} service answered {response.status}.")
        return model.model_validate_json(body)

    async def section(self, service: str, work: Awaitable[S]) -> S | schemas.Unavailable:
        try:
            async with asyncio.timeout_at(self.deadline):
                return await work
        except TimeoutError:
            return schemas.Unavailable(reason=f"The {service} service did not answer in time.")
        except Problem as problem:
            return schemas.Unavailable(reason=problem.detail or problem.title)
        except (UpstreamError, ValidationError, UnexpectedAnswer):
            return schemas.Unavailable(reason=f"The {service} service gave no usable answer.")

    def entry(self, entry_id: uuid.UUID) -> asyncio.Task[schemas.EntryIn | None]:
        """A published catalog entry, fetched once per request however many plans link it."""
        if entry_id not in self._entries:
            self._entries[entry_id] = asyncio.create_task(
                self.get("catalog", f"/api/v1/catalog/entries/{entry_id}", schemas.EntryIn)
            )
        return self._entries[entry_id]


class CityMissing(Exception):
    pass


async def _transfer(gathering: Gathering, city: str) -> schemas.Transfer:
    base = f"/api/v1/transfer/cities/{city}"
    found, plans = await asyncio.gather(
        gathering.get("transfer", base, schemas.CityIn),
        gathering.get("transfer", f"{base}/plans?limit={PAGE}", _Page[schemas.PlanIn]),
    )
    if found is None or plans is None:
        raise CityMissing(city)
    details = await asyncio.gather(*(_plan(gathering, base, plan) for plan in plans.items))
    return schemas.Transfer(city=schemas.City(**found.model_dump()), plans=list(details))


async def _plan(gathering: Gathering, base: str, plan: schemas.PlanIn) -> schemas.Plan:
    lang = gathering.lang
    milestones, indicators = await asyncio.gather(
        gathering.get(
            "transfer",
            f"{base}/plans/{plan.id}/milestones?limit={PAGE}",
            _Page[schemas.MilestoneIn],
        ),
        gathering.get("transfer", f"{base}/plans/{plan.id}/indicators", _Page[schemas.IndicatorIn]),
    )
    return schemas.Plan(
        id=plan.id,
        challenge=plan.challenge,
        title=pick(plan.title, lang),
        progress=plan.progress,
        milestones=[
            schemas.Milestone(
                id=milestone.id,
                title=pick(milestone.title, lang),
                due=milestone.due,
                status=milestone.status,
            )
            for milestone in (milestones.items if milestones else [])
        ],
        indicators=[
            schemas.Indicator(
                **indicator.model_dump(exclude={"title"}), title=pick(indicator.title, lang)
            )
            for indicator in (indicators.items if indicators else [])
        ],
        practice_ids=plan.practice_ids,
    )


async def _practices(
    gathering: Gathering, transfer: asyncio.Task[schemas.Transfer | schemas.Unavailable]
) -> schemas.Practices:
    plans = await asyncio.shield(transfer)  # its own section keeps its own deadline
    if not isinstance(plans, schemas.Transfer):
        raise UnexpectedAnswer("The linked practices come from the transfer plans.")
    challenges: dict[uuid.UUID, list[str]] = {}
    for plan in plans.plans:
        for practice_id in plan.practice_ids:
            challenges.setdefault(practice_id, []).append(plan.challenge)
    entries = await asyncio.gather(*(gathering.entry(pid) for pid in challenges))
    return schemas.Practices(
        items=[
            schemas.Practice(
                id=entry.id,
                slug=entry.slug,
                title=pick(entry.title, gathering.lang),
                challenges=challenges[entry.id],
                href=f"{gathering.base_url}/api/v1/catalog/entries/{entry.slug}",
            )
            for entry in entries
            if entry is not None  # an entry that is not published is not shown
        ]
    )


async def _events(gathering: Gathering) -> schemas.Events:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    page = await gathering.get(
        "participation",
        f"/api/v1/participation/events?from={now}&limit={UPCOMING_EVENTS}",
        _Page[schemas.EventIn],
    )
    if page is None:
        raise UnexpectedAnswer("The participation service has no events list.")
    return schemas.Events(
        items=[
            schemas.Event(
                **event.model_dump(exclude={"title", "status"}),
                title=pick(event.title, gathering.lang),
                href=f"{gathering.base_url}/api/v1/participation/events/{event.id}",
            )
            for event in page.items
            if event.status != "cancelled"
        ]
    )


async def _city_sections(
    gathering: Gathering, city: str
) -> tuple[schemas.Transfer | schemas.Unavailable, schemas.Practices | schemas.Unavailable]:
    transfer = asyncio.create_task(gathering.section("transfer", _transfer(gathering, city)))
    practices = await gathering.section("catalog", _practices(gathering, transfer))
    return await transfer, practices


async def city_dashboard(gathering: Gathering, city: str) -> schemas.CityDashboard:
    events = asyncio.create_task(gathering.section("participation", _events(gathering)))
    try:
        transfer, practices = await _city_sections(gathering, city)
    except CityMissing:
        events.cancel()
        raise NotFound(f"There is no partner city {city!r}.") from None
    return schemas.CityDashboard(
        city=city,
        lang=gathering.lang,
        generated_at=datetime.now(UTC),
        transfer=transfer,
        practices=practices,
        events=await events,
    )


class _City(BaseModel):
    code: str


async def _city_codes(gathering: Gathering) -> list[str]:
    try:
        async with asyncio.timeout_at(gathering.deadline):
            page = await gathering.get(
                "transfer", f"/api/v1/transfer/cities?limit={PAGE}", _Page[_City]
            )
    except (TimeoutError, Problem, UpstreamError, ValidationError, UnexpectedAnswer):
        page = None
    return [city.code for city in page.items] if page else list(KNOWN_CITIES)


async def overview(gathering: Gathering) -> schemas.Overview:
    events = asyncio.create_task(gathering.section("participation", _events(gathering)))
    codes = await _city_codes(gathering)

    async def one(code: str) -> schemas.CityOverview | None:
        try:
            transfer, practices = await _city_sections(gathering, code)
        except CityMissing:
            return None  # removed since the list was read
        return schemas.CityOverview(city=code, transfer=transfer, practices=practices)

    cities = await asyncio.gather(*(one(code) for code in codes))
    return schemas.Overview(
        lang=gathering.lang,
        generated_at=datetime.now(UTC),
        cities=[city for city in cities if city is not None],
        events=await events,
    )
