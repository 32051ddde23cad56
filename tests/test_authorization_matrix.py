"""Who may write what: every write operation of the public API, times every kind of caller.

The table below IS the policy. Each row is one write operation of the merged OpenAPI
document (a test checks that none is missing), the callers that may perform it, and a
realistic request. A caller outside the allowed set gets 401 (no credential) or 403, and
nothing changes (witness reads are compared before and after); an allowed caller is not
refused — its request may still fail for other reasons (422 validation, 404 for a random
id, 412 for a stale If-Match), which keeps the shared seeded data intact.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from shared.auth import Principal, Role, issue_token
from shared.seeding import seed_id
from shared.settings import Settings

pytestmark = pytest.mark.slow

CITIES = ("varazdin", "kosice", "nardo")
CALLERS = (
    "anonymous",
    "resident",
    "editor",
    "coordinator",
    *(f"partner:{c}" for c in CITIES),
    "admin",
)
AUTHENTICATED = frozenset(CALLERS) - {"anonymous"}
ADMIN = frozenset({"admin"})
EDITORS = frozenset({"editor", "admin"})
COORDINATORS = frozenset({"coordinator", "admin"})
# Residents propose, support and comment (only they: partners, editors and staff are not
# residents); a proposal's author or a coordinator moves it; coordinators answer and moderate.
RESIDENTS = frozenset({"resident"})
EVERYONE = frozenset(CALLERS)


def city_writers(city: str) -> frozenset[str]:
    return frozenset({"coordinator", "admin", f"partner:{city}"})


WEBHOOK_MANAGERS = frozenset({"admin", "partner:kosice"})
STALE = {"If-Match": '"v999999"'}
RANDOM = uuid.UUID("00000000-0000-4000-8000-00000000a11e")
T = "/api/v1/transfer/cities/kosice"
PLAN = seed_id("transfer-plan", "kosice", "housing")
MILESTONE = seed_id("transfer-milestone", "kosice", "housing", "local-plan")
INDICATOR = seed_id("transfer-indicator", "kosice", "housing", "local-events")
HUB = seed_id("hub", "magnet-hub-celje")
SPACE = seed_id("space", "magnet-hub-celje", "co-creation-room")
EVENT = seed_id("event", "housing-co-creation-workshop")
LAB = seed_id("lab", "housing-lab")
PROPOSAL = seed_id("proposal", "benches-by-the-savinja")
COMMENT = seed_id("comment", "benches-shade")
P = "/api/v1/participation"
TITLE = {"en": "Authorization matrix"}


@dataclass(frozen=True)
class Write:
    method: str
    template: str  # the OpenAPI path
    path: str
    allowed: frozenset[str]
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    witnesses: tuple[str, ...] = ()  # reads whose answer a refused call must not change

    @property
    def operation(self) -> str:
        return f"{self.method} {self.template}"


POLICY = [
    # identity (the gateway); POST /api/v1/auth/token is how credentials are obtained
    Write("POST", "/api/v1/auth/users", "/api/v1/auth/users", ADMIN, {}),
    Write("PATCH", "/api/v1/auth/users/{user_id}", f"/api/v1/auth/users/{RANDOM}", ADMIN,
          {"disabled": True}, STALE, ("/api/v1/auth/users?limit=100",)),
    Write("DELETE", "/api/v1/auth/users/{user_id}", f"/api/v1/auth/users/{RANDOM}", ADMIN,
          headers=STALE, witnesses=("/api/v1/auth/users?limit=100",)),
    Write("POST", "/api/v1/auth/api-keys", "/api/v1/auth/api-keys", ADMIN, {},
          witnesses=("/api/v1/auth/api-keys",)),
    Write("DELETE", "/api/v1/auth/api-keys/{key_id}", f"/api/v1/auth/api-keys/{RANDOM}", ADMIN,
          headers=STALE),
    # residents sign up, verify and reset without a credential; only a resident deletes
    # their own account (staff accounts are an admin's to delete)
    Write("POST", "/api/v1/auth/residents", "/api/v1/auth/residents", EVERYONE, {}),
    Write("POST", "/api/v1/auth/residents/verify", "/api/v1/auth/residents/verify", EVERYONE,
          {"token": "not-a-mailed-token"}),
    Write("POST", "/api/v1/auth/password-reset", "/api/v1/auth/password-reset", EVERYONE, {}),
    Write("POST", "/api/v1/auth/password-reset/confirm", "/api/v1/auth/password-reset/confirm",
          EVERYONE, {"token": "not-a-mailed-token", "password": "a-long-enough-password"}),
    Write("DELETE", "/api/v1/auth/me", "/api/v1/auth/me", RESIDENTS, headers=STALE,
          witnesses=("/api/v1/auth/users?limit=100",)),
    # catalog: editors
    Write("POST", "/api/v1/catalog/entries", "/api/v1/catalog/entries", EDITORS, {}),
    Write("PATCH", "/api/v1/catalog/entries/{ref}", "/api/v1/catalog/entries/towns-living-room",
          EDITORS, {"title": {"en": "Changed"}}, STALE,
          ("/api/v1/catalog/entries/towns-living-room",)),
    Write("DELETE", "/api/v1/catalog/entries/{ref}", "/api/v1/catalog/entries/citycentredoctor",
          EDITORS, headers=STALE, witnesses=("/api/v1/catalog/entries/citycentredoctor",)),
    Write("POST", "/api/v1/catalog/entries/{ref}/transitions",
          "/api/v1/catalog/entries/creative-spirits/transitions", EDITORS, {"to": "not-a-state"},
          witnesses=("/api/v1/catalog/entries/creative-spirits",)),
    # participation: coordinators run hubs, labs and events
    Write("POST", "/api/v1/participation/hubs/{hub_id}/spaces", f"{P}/hubs/{HUB}/spaces",
          COORDINATORS, {}, witnesses=(f"{P}/hubs/{HUB}/spaces",)),
    Write("PATCH", "/api/v1/participation/spaces/{space_id}", f"{P}/spaces/{SPACE}",
          COORDINATORS, {"capacity": 1}, STALE, (f"{P}/spaces/{SPACE}",)),
    Write("POST", "/api/v1/participation/hubs/{hub_id}/closures", f"{P}/hubs/{HUB}/closures",
          COORDINATORS, {}, witnesses=(f"{P}/hubs/{HUB}/closures",)),
    Write("DELETE", "/api/v1/participation/closures/{closure_id}", f"{P}/closures/{RANDOM}",
          COORDINATORS, headers=STALE),
    # anyone with a credential may ask for a room; coordinators decide
    Write("POST", "/api/v1/participation/bookings", f"{P}/bookings", AUTHENTICATED, {}),
    Write("DELETE", "/api/v1/participation/bookings/{booking_id}", f"{P}/bookings/{RANDOM}",
          AUTHENTICATED, headers=STALE),
    Write("POST", "/api/v1/participation/bookings/{booking_id}/transitions",
          f"{P}/bookings/{RANDOM}/transitions", COORDINATORS, {"to": "confirmed"}),
    Write("POST", "/api/v1/participation/events", f"{P}/events", COORDINATORS, {},
          witnesses=(f"{P}/events",)),
    Write("PATCH", "/api/v1/participation/events/{event_id}", f"{P}/events/{EVENT}",
          COORDINATORS, {"capacity": 1}, STALE, (f"{P}/events/{EVENT}",)),
    Write("DELETE", "/api/v1/participation/events/{event_id}", f"{P}/events/{EVENT}",
          COORDINATORS, headers=STALE, witnesses=(f"{P}/events/{EVENT}",)),
    # residents register without an account; cancelling or erasing needs the cancel token
    # (or a coordinator): without it the registration is not found, for anyone
    Write("POST", "/api/v1/participation/events/{event_id}/registrations",
          f"{P}/events/{EVENT}/registrations", EVERYONE, {}),
    Write("DELETE", "/api/v1/participation/events/{event_id}/registrations/{registration_id}",
          f"{P}/events/{EVENT}/registrations/{RANDOM}", EVERYONE, headers=STALE),
    Write("POST",
          "/api/v1/participation/events/{event_id}/registrations/{registration_id}/erasure",
          f"{P}/events/{EVENT}/registrations/{RANDOM}/erasure", EVERYONE),
    Write("POST",
          "/api/v1/participation/events/{event_id}/registrations/{registration_id}/attendance",
          f"{P}/events/{EVENT}/registrations/{RANDOM}/attendance", COORDINATORS,
          {"attended": True}),
    Write("POST", "/api/v1/participation/erasure", f"{P}/erasure", COORDINATORS,
          {"email": "nobody-registered@example.org"}),
    Write("POST", "/api/v1/participation/labs", f"{P}/labs", COORDINATORS, {},
          witnesses=(f"{P}/labs",)),
    Write("PATCH", "/api/v1/participation/labs/{lab_id}", f"{P}/labs/{LAB}", COORDINATORS,
          {"partners": []}, STALE, (f"{P}/labs/{LAB}",)),
    # residents' contributions to labs
    Write("POST", "/api/v1/participation/labs/{lab_id}/proposals", f"{P}/labs/{LAB}/proposals",
          RESIDENTS, {}, witnesses=(f"{P}/labs/{LAB}/proposals",)),
    Write("PATCH", "/api/v1/participation/proposals/{proposal_id}", f"{P}/proposals/{RANDOM}",
          RESIDENTS, {"title": TITLE}, STALE),
    Write("POST", "/api/v1/participation/proposals/{proposal_id}/transitions",
          f"{P}/proposals/{RANDOM}/transitions", RESIDENTS | COORDINATORS, {"to": "withdrawn"}),
    Write("POST", "/api/v1/participation/proposals/{proposal_id}/answer",
          f"{P}/proposals/{PROPOSAL}/answer", COORDINATORS, {"state": "accepted"},
          witnesses=(f"{P}/proposals/{PROPOSAL}",)),
    Write("POST", "/api/v1/participation/proposals/{proposal_id}/hide",
          f"{P}/proposals/{PROPOSAL}/hide", COORDINATORS, {},
          witnesses=(f"{P}/proposals/{PROPOSAL}",)),
    Write("POST", "/api/v1/participation/proposals/{proposal_id}/restore",
          f"{P}/proposals/{PROPOSAL}/restore", COORDINATORS,
          witnesses=(f"{P}/proposals/{PROPOSAL}",)),
    Write("POST", "/api/v1/participation/proposals/{proposal_id}/reports",
          f"{P}/proposals/{PROPOSAL}/reports", AUTHENTICATED, {},
          witnesses=(f"{P}/proposals/{PROPOSAL}",)),
    Write("POST", "/api/v1/participation/proposals/{proposal_id}/supports",
          f"{P}/proposals/{RANDOM}/supports", RESIDENTS),
    Write("DELETE", "/api/v1/participation/proposals/{proposal_id}/supports",
          f"{P}/proposals/{PROPOSAL}/supports", RESIDENTS,
          witnesses=(f"{P}/proposals/{PROPOSAL}",)),
    Write("POST", "/api/v1/participation/proposals/{proposal_id}/comments",
          f"{P}/proposals/{PROPOSAL}/comments", RESIDENTS, {},
          witnesses=(f"{P}/proposals/{PROPOSAL}/comments",)),
    Write("PATCH", "/api/v1/participation/comments/{comment_id}", f"{P}/comments/{RANDOM}",
          RESIDENTS, {"body": "Changed"}, STALE),
    Write("DELETE", "/api/v1/participation/comments/{comment_id}", f"{P}/comments/{RANDOM}",
          RESIDENTS, headers=STALE),
    Write("POST", "/api/v1/participation/comments/{comment_id}/reports",
          f"{P}/comments/{COMMENT}/reports", AUTHENTICATED, {},
          witnesses=(f"{P}/comments/{COMMENT}",)),
    Write("POST", "/api/v1/participation/comments/{comment_id}/hide",
          f"{P}/comments/{COMMENT}/hide", COORDINATORS, {},
          witnesses=(f"{P}/comments/{COMMENT}",)),
    Write("POST", "/api/v1/participation/comments/{comment_id}/restore",
          f"{P}/comments/{COMMENT}/restore", COORDINATORS,
          witnesses=(f"{P}/comments/{COMMENT}",)),
    Write("DELETE", "/api/v1/participation/me/contributions", f"{P}/me/contributions",
          AUTHENTICATED, witnesses=(f"{P}/proposals/{PROPOSAL}",)),
    # transfer: a partner writes its own city only; coordinators and admins any city
    Write("POST", "/api/v1/transfer/cities/{city}/plans", f"{T}/plans", city_writers("kosice"),
          {"challenge": "housing", "title": TITLE}, witnesses=(f"{T}/plans",)),
    Write("PATCH", "/api/v1/transfer/cities/{city}/plans/{plan_id}", f"{T}/plans/{PLAN}",
          city_writers("kosice"), {"title": TITLE}, STALE, (f"{T}/plans/{PLAN}",)),
    Write("DELETE", "/api/v1/transfer/cities/{city}/plans/{plan_id}", f"{T}/plans/{PLAN}",
          city_writers("kosice"), headers=STALE, witnesses=(f"{T}/plans/{PLAN}",)),
    Write("POST", "/api/v1/transfer/cities/{city}/plans/{plan_id}/milestones",
          f"{T}/plans/{RANDOM}/milestones", city_writers("kosice"),
          {"title": TITLE, "due": "2027-01-31"}),
    Write("PATCH", "/api/v1/transfer/cities/{city}/milestones/{milestone_id}",
          f"{T}/milestones/{MILESTONE}", city_writers("kosice"), {"status": "done"}, STALE,
          (f"{T}/milestones/{MILESTONE}",)),
    Write("DELETE", "/api/v1/transfer/cities/{city}/milestones/{milestone_id}",
          f"{T}/milestones/{MILESTONE}", city_writers("kosice"), headers=STALE,
          witnesses=(f"{T}/milestones/{MILESTONE}",)),
    Write("POST", "/api/v1/transfer/cities/{city}/plans/{plan_id}/indicators",
          f"{T}/plans/{RANDOM}/indicators", city_writers("kosice"),
          {"code": "AUTHZ", "title": TITLE, "unit": "events"}),
    Write("PATCH", "/api/v1/transfer/cities/{city}/indicators/{indicator_id}",
          f"{T}/indicators/{INDICATOR}", city_writers("kosice"), {"unit": "people"}, STALE,
          (f"{T}/indicators/{INDICATOR}",)),
    Write("DELETE", "/api/v1/transfer/cities/{city}/indicators/{indicator_id}",
          f"{T}/indicators/{INDICATOR}", city_writers("kosice"), headers=STALE,
          witnesses=(f"{T}/indicators/{INDICATOR}",)),
    Write("POST", "/api/v1/transfer/cities/{city}/indicators/{indicator_id}/periods",
          f"{T}/indicators/{RANDOM}/periods", city_writers("kosice"),
          {"start": "2026-01-01", "end": "2026-03-31", "actual": 1}),
    Write("POST", "/api/v1/transfer/cities/{city}/plans/{plan_id}/reports",
          f"{T}/plans/{RANDOM}/reports", city_writers("kosice"),
          {"period_start": "2026-01-01", "period_end": "2026-03-31", "narrative": TITLE}),
    Write("PATCH", "/api/v1/transfer/cities/{city}/reports/{report_id}",
          f"{T}/reports/{RANDOM}", city_writers("kosice"), {"narrative": TITLE}, STALE),
    Write("POST", "/api/v1/transfer/cities/{city}/reports/{report_id}/submit",
          f"{T}/reports/{RANDOM}/submit", city_writers("kosice")),
    Write("POST", "/api/v1/transfer/cities/{city}/reports/{report_id}/corrections",
          f"{T}/reports/{RANDOM}/corrections", city_writers("kosice"), {"narrative": TITLE}),
    Write("POST", "/api/v1/transfer/cities/{city}/sync", f"{T}/sync", city_writers("kosice"),
          {"plans": [], "milestones": [], "indicators": [], "reports": []},
          witnesses=("/api/v1/transfer/changes?city=kosice&limit=100",)),
    # webhooks: the city's partners and admins only (their secrets sign the deliveries)
    Write("POST", "/api/v1/transfer/cities/{city}/webhooks", f"{T}/webhooks",
          WEBHOOK_MANAGERS, {"url": "ftp://not-a-webhook.example"},
          witnesses=(f"{T}/webhooks",)),
    Write("DELETE", "/api/v1/transfer/cities/{city}/webhooks/{webhook_id}",
          f"{T}/webhooks/{RANDOM}", WEBHOOK_MANAGERS),
]  # fmt: skip
NOT_IN_MATRIX = {"POST /api/v1/auth/token"}


def credentials(settings: Settings) -> dict[str, dict[str, str]]:
    def bearer(role: Role, city: str | None = None, name: str | None = None) -> dict[str, str]:
        principal = Principal(subject=str(uuid.uuid4()), role=role, city=city, name=name)
        return {"Authorization": f"Bearer {issue_token(principal, settings)}"}

    return {
        "anonymous": {},
        "resident": bearer(Role.RESIDENT, name="Matrix resident"),
        "editor": bearer(Role.EDITOR),
        "coordinator": bearer(Role.COORDINATOR),
        **{f"partner:{city}": bearer(Role.PARTNER, city) for city in CITIES},
        "admin": bearer(Role.ADMIN),
    }


async def send(
    gateway: httpx.AsyncClient, write: Write, caller_headers: dict[str, str]
) -> httpx.Response:
    headers = {**write.headers, **caller_headers, "Idempotency-Key": str(uuid.uuid4())}
    return await gateway.request(write.method, write.path, json=write.json, headers=headers)


async def snapshot(
    gateway: httpx.AsyncClient, write: Write, admin: dict[str, str]
) -> list[tuple[int, str]]:
    answers = [await gateway.get(path, headers=admin) for path in write.witnesses]
    return [(answer.status_code, answer.text) for answer in answers]


class TestAuthorizationMatrix:
    async def test_the_matrix_covers_every_write_operation(
        self, gateway: httpx.AsyncClient
    ) -> None:
        document = (await gateway.get("/openapi.json")).json()
        writes = {
            f"{method.upper()} {path}"
            for path, item in document["paths"].items()
            for method in item
            if method in {"post", "put", "patch", "delete"}
        }

        assert writes - NOT_IN_MATRIX == {write.operation for write in POLICY}

    @pytest.mark.parametrize("write", POLICY, ids=lambda write: write.operation)
    async def test_each_caller_gets_the_answer_the_policy_gives(
        self, gateway: httpx.AsyncClient, settings: Settings, write: Write
    ) -> None:
        callers = credentials(settings)
        before = await snapshot(gateway, write, callers["admin"])

        refused = {}
        for caller in CALLERS:
            if caller not in write.allowed:
                refused[caller] = (await send(gateway, write, callers[caller])).status_code
        after = await snapshot(gateway, write, callers["admin"])
        admitted = {}
        for caller in CALLERS:
            if caller in write.allowed:
                admitted[caller] = (await send(gateway, write, callers[caller])).status_code

        expected_refusals = {c: 401 if c == "anonymous" else 403 for c in refused}
        assert refused == expected_refusals
        assert after == before, "a refused call changed something"
        assert not {c: s for c, s in admitted.items() if s in (401, 403)}, admitted
        assert all(status < 500 for status in admitted.values()), admitted
