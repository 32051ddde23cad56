"""Every link the API hands out is absolute on `MAGNET_PUBLIC_URL`; none names a service.

The real stack runs behind a public address it does not listen on (as behind a proxy):
every GET of the merged OpenAPI is walked through the gateway, anonymously and as an
admin, as JSON and as JSON-LD, with and without a trailing slash; every link found in
headers, JSON, JSON-LD, Atom and iCalendar must be on the public address, and following
them (on the gateway) must work. The JSON-LD is read by a real JSON-LD processor (PyLD)
without a base: every statement must survive, with absolute subjects.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

import httpx
import pytest
from icalendar import Calendar
from pyld import jsonld

from shared.auth import Role
from shared.settings import Settings
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, TEST_SECRET
from tests.participation.conftest import EVERY_DAY_8_TO_20, bearer
from tests.stack import Stack, start_stack

pytestmark = pytest.mark.slow

PUBLIC = "https://magnet.example.org"
# A partner's webhook target: an address the partner gave us, listed back to them, not ours.
PARTNER_HOOK = "https://hooks.varazdin.example/magnet"
LD = "application/ld+json"
ATOM = "{http://www.w3.org/2005/Atom}"
# A stand-in for the context published at https://schema.org (never fetched in tests): its
# vocabulary, and `url` as an IRI, as the published context declares it.
SCHEMA_ORG_CONTEXT = {
    "@context": {
        "@vocab": "http://schema.org/",
        "schema": "http://schema.org/",
        "url": {"@id": "schema:url", "@type": "@id"},
    }
}
LINK_KEYS = {"@id", "url", "href"}


def _offline_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    if url.rstrip("/") in {"https://schema.org", "http://schema.org"}:
        return {"contextUrl": None, "documentUrl": url, "document": SCHEMA_ORG_CONTEXT}
    raise AssertionError(f"the JSON-LD processor tried to fetch {url}")


def statements(document: dict[str, Any], base: str | None) -> list[dict[str, Any]]:
    options: dict[str, Any] = {"documentLoader": _offline_loader, "base": base}
    dataset: dict[str, list[dict[str, Any]]] = jsonld.to_rdf(document, options)
    return dataset["@default"]


@pytest.fixture(scope="module")
def public_stack(database_url: str) -> Iterator[Stack]:
    with start_stack(
        database_url,
        secret_key=TEST_SECRET,
        admin_email=ADMIN_EMAIL,
        admin_password=ADMIN_PASSWORD,
        public_url=PUBLIC,
    ) as running:
        yield running


@pytest.fixture(scope="module")
async def client(public_stack: Stack) -> Any:
    async with httpx.AsyncClient(base_url=public_stack.gateway_url, timeout=30) as gateway:
        yield gateway


def internal_addresses(stack: Stack) -> list[str]:
    """What must never appear in an answer: every process's own address and port."""
    return [f"127.0.0.1:{port}" for port in stack.ports.values()] + [
        f"localhost:{port}" for port in stack.ports.values()
    ]


def link_targets(response: httpx.Response) -> list[str]:
    """Every link in the answer's headers and body."""
    found = [response.headers[name] for name in ("location",) if name in response.headers]
    found += re.findall(r"<([^>]*)>", response.headers.get("link", ""))
    media_type = response.headers.get("content-type", "").split(";")[0]
    if media_type.endswith("json") and response.content:
        found += list(_json_links(response.json()))
    elif media_type == "application/atom+xml":
        feed = ElementTree.fromstring(response.content)  # noqa: S314 (our own output)
        found += [link.attrib["href"] for link in feed.iter(f"{ATOM}link")]
    elif media_type == "text/calendar":
        calendar = Calendar.from_ical(response.content)
        found += [str(event["url"]) for event in calendar.walk("VEVENT") if "url" in event]
    return found


def _json_links(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "@context":  # the vocabulary, not a link
                continue
            if isinstance(item, str) and (key in LINK_KEYS or re.match(r"https?://", item)):
                yield item
            else:
                yield from _json_links(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_links(item)


def assert_public(response: httpx.Response, stack: Stack) -> list[str]:
    """No internal address anywhere; every link absolute on the public address."""
    where = f"{response.request.method} {response.request.url} → {response.status_code}"
    text = " ".join(f"{k}: {v}" for k, v in response.headers.items()) + response.text
    for address in internal_addresses(stack):
        assert address not in text, f"{where} names {address}"
    links = [link for link in link_targets(response) if link != PARTNER_HOOK]
    for link in links:
        on_schema_org = link.startswith("https://schema.org/")
        assert link.startswith(PUBLIC + "/") or on_schema_org, f"{where} links to {link!r}"
    return [link for link in links if link.startswith(PUBLIC + "/")]


def on_gateway(link: str, stack: Stack) -> str:
    return stack.gateway_url + link.removeprefix(PUBLIC)


async def _first(client: httpx.AsyncClient, path: str, key: str = "id") -> str:
    response = await client.get(path, params={"limit": 1})
    assert response.status_code == 200, response.text
    value: str = response.json()["items"][0][key]
    return value


async def discussed_proposal(client: httpx.AsyncClient) -> dict[str, str]:
    """A demo proposal with comments, and its first comment."""
    labs = await client.get("/api/v1/participation/labs", params={"limit": 100})
    for lab in labs.json()["items"]:
        proposals = await client.get(f"/api/v1/participation/labs/{lab['id']}/proposals")
        for proposal in proposals.json()["items"]:
            path = f"/api/v1/participation/proposals/{proposal['id']}/comments"
            comments = (await client.get(path)).json()["items"]
            if comments:
                return {"proposal_id": proposal["id"], "comment_id": comments[0]["id"]}
    raise AssertionError("the demo data has no discussed proposal")


async def parameter_values(
    client: httpx.AsyncClient, settings: Settings, hub_id: str
) -> dict[str, str]:
    """A real value for each path parameter of the public API."""
    admin = bearer(settings, Role.ADMIN)
    space = await client.post(
        f"/api/v1/participation/hubs/{hub_id}/spaces",
        json={
            "slug": "public-links-room",
            "name": {"en": "Links room", "sl": "Soba povezav"},
            "kind": "room",
            "capacity": 12,
            "opening_hours": EVERY_DAY_8_TO_20,
        },
        headers=admin,
    )
    assert space.status_code == 201, space.text
    event = await client.post(
        "/api/v1/participation/events",
        json={
            "title": {"en": "Linked workshop", "sl": "Povezana delavnica"},
            "space_id": space.json()["id"],
            "starts_at": "2027-05-04T15:00:00Z",
            "ends_at": "2027-05-04T17:00:00Z",
            "capacity": 10,
        },
        headers=admin,
    )
    assert event.status_code == 201, event.text
    registration = await client.post(
        f"/api/v1/participation/events/{event.json()['id']}/registrations",
        json={"name": "Ana Novak", "email": "ana.links@example.org", "consent": True},
    )
    assert registration.status_code == 201, registration.text
    city = "varazdin"
    plans = f"/api/v1/transfer/cities/{city}/plans"
    plan_id = await _first(client, plans)
    values = {
        "ref": await _first(client, "/api/v1/catalog/entries", "slug"),
        "event_id": event.json()["id"],
        "registration_id": registration.json()["id"],
        "hub_id": hub_id,
        "space_id": space.json()["id"],
        "lab_id": await _first(client, "/api/v1/participation/labs"),
        "code": city,
        "city": city,
        "plan_id": plan_id,
    }
    report = await client.post(
        f"{plans}/{plan_id}/reports",
        json={
            "period_start": "2027-01-01",
            "period_end": "2027-07-01",
            "narrative": {"en": "Half a year of links."},
        },
        headers=admin,
    )
    assert report.status_code == 201, report.text
    for name, collection in (
        ("milestone_id", "milestones"),
        ("indicator_id", "indicators"),
        ("report_id", "reports"),
    ):
        answer = await client.get(f"{plans}/{plan_id}/{collection}", headers=admin)
        items = answer.json()["items"] if answer.status_code == 200 else []
        if items:
            values[name] = items[0]["id"]
    values |= await discussed_proposal(client)
    users = await client.get("/api/v1/auth/users", params={"limit": 1}, headers=admin)
    assert users.status_code == 200, users.text
    values["user_id"] = users.json()["items"][0]["id"]
    webhook = await client.post(
        f"/api/v1/transfer/cities/{city}/webhooks",
        json={"url": PARTNER_HOOK, "description": "links"},
        headers=admin,
    )
    assert webhook.status_code == 201, webhook.text
    values["webhook_id"] = webhook.json()["id"]
    created = (
        ("space", space),
        ("event", event),
        ("registration", registration),
        ("report", report),
    )
    for name, response in created:
        assert response.headers["location"].startswith(PUBLIC + "/"), (name, response.headers)
    return values


def get_paths(document: dict[str, Any], values: dict[str, str]) -> list[str]:
    paths = []
    for template, operations in document["paths"].items():
        if "get" not in operations or not template.startswith("/api/"):
            continue
        names = re.findall(r"{([^}]+)}", template)
        if all(name in values for name in names):
            paths.append(re.sub(r"{([^}]+)}", lambda m: values[m.group(1)], template))
    return paths


# Resources of the gateway's admin API and bookings, whose answers carry no links.
NOT_WALKED = {"/api/v1/auth/api-keys/{key_id}", "/api/v1/participation/bookings/{booking_id}"}
QUERIES = {
    "/api/v1/participation/spaces/{space_id}/availability": "date=2027-05-04",
    "/api/v1/participation/availability": "from=2027-05-04T06:00:00Z&to=2027-05-05T06:00:00Z",
}


class TestPublicLinks:
    async def test_every_get_names_only_the_public_address(
        self, client: httpx.AsyncClient, public_stack: Stack, settings: Settings
    ) -> None:
        hubs = await client.get("/api/v1/participation/hubs")
        values = await parameter_values(client, settings, hubs.json()["items"][0]["id"])
        document = (await client.get("/openapi.json")).json()
        paths = get_paths(document, values)
        templates = [t for t, o in document["paths"].items() if "get" in o and "/api/" in t]
        unwalked = {
            t for t in templates if not all(n in values for n in re.findall(r"{([^}]+)}", t))
        }
        assert unwalked <= NOT_WALKED, unwalked
        filled = {
            re.sub(r"{([^}]+)}", lambda m: values[m.group(1)], t): t
            for t in templates
            if all(n in values for n in re.findall(r"{([^}]+)}", t))
        }
        followed: set[str] = set()
        for path in paths:
            query = QUERIES.get(filled.get(path, ""), "limit=1")
            for headers in ({}, bearer(settings, Role.ADMIN)):
                for accept in ("application/json", LD):
                    response = await client.get(
                        f"{path}?{query}", headers={**headers, "Accept": accept}
                    )
                    assert response.status_code < 500, response.text
                    followed.update(assert_public(response, public_stack))
            slashed = await client.get(f"{path}/?{query}")
            assert_public(slashed, public_stack)
            if slashed.is_redirect:
                assert slashed.headers["location"] == f"{PUBLIC}{path}?{query}"
        assert followed, "the answers link to something"
        admin = bearer(settings, Role.ADMIN)  # some links came from what only admins see
        for link in sorted(followed):
            answer = await client.get(
                on_gateway(link, public_stack), headers={**admin, "Accept": LD}
            )
            assert answer.status_code == 200, (link, answer.status_code)
            assert_public(answer, public_stack)

    async def test_a_trailing_slash_redirects_on_the_public_address(
        self, client: httpx.AsyncClient, public_stack: Stack
    ) -> None:
        for path in (
            "/api/v1/catalog/taxonomy",
            "/api/v1/participation/hubs",
            "/api/v1/transfer/cities",
        ):
            response = await client.get(f"{path}/?lang=sl")
            assert response.status_code == 307, response.text
            assert response.headers["location"] == f"{PUBLIC}{path}?lang=sl"
            assert (
                await client.get(on_gateway(response.headers["location"], public_stack))
            ).is_success

    async def test_the_next_page_and_a_created_entry_link_on_the_public_address(
        self, client: httpx.AsyncClient, settings: Settings
    ) -> None:
        page = await client.get("/api/v1/catalog/entries", params={"limit": 1})
        assert page.headers["link"].startswith(f"<{PUBLIC}/api/v1/catalog/entries?")
        assert page.headers["link"].endswith('>; rel="next"')
        created = await client.post(
            "/api/v1/catalog/entries",
            json={"kind": "story", "title": {"en": "Links that travel"}},
            headers=bearer(settings, Role.EDITOR),
        )
        assert created.status_code == 201, created.text
        assert created.headers["location"] == f"{PUBLIC}/api/v1/catalog/entries/links-that-travel"

    async def test_feeds_link_on_the_public_address(self, client: httpx.AsyncClient) -> None:
        feed = await client.get("/api/v1/catalog/feed.atom", params={"lang": "en"})
        root = ElementTree.fromstring(feed.content)  # noqa: S314 (our own output)
        hrefs = [link.attrib["href"] for link in root.iter(f"{ATOM}link")]
        assert hrefs[0] == f"{PUBLIC}/api/v1/catalog/feed.atom?lang=en"
        assert len(hrefs) > 1
        assert all(href.startswith(f"{PUBLIC}/api/v1/catalog/entries/") for href in hrefs[1:])
        calendar = Calendar.from_ical(
            (await client.get("/api/v1/participation/events.ics")).content
        )
        urls = [str(event["url"]) for event in calendar.walk("VEVENT")]
        assert urls
        assert all(url.startswith(f"{PUBLIC}/api/v1/participation/events/") for url in urls)

    async def test_the_openapi_document_names_the_public_address(
        self, client: httpx.AsyncClient
    ) -> None:
        document = (await client.get("/openapi.json")).json()
        assert [server["url"] for server in document["servers"]] == [PUBLIC]


class TestLinkedDataForHarvesters:
    async def _documents(self, client: httpx.AsyncClient) -> list[dict[str, Any]]:
        slug = await _first(client, "/api/v1/catalog/entries", "slug")
        hub_id = await _first(client, "/api/v1/participation/hubs")
        space_id = await _first(client, f"/api/v1/participation/hubs/{hub_id}/spaces")
        event_id = await _first(client, "/api/v1/participation/events")
        paths = [
            f"/api/v1/catalog/entries/{slug}",
            f"/api/v1/participation/hubs/{hub_id}",
            f"/api/v1/participation/spaces/{space_id}",
            f"/api/v1/participation/events/{event_id}",
        ]
        documents = []
        for path in paths:
            response = await client.get(path, headers={"Accept": LD})
            assert response.status_code == 200, response.text
            assert response.headers["content-type"] == LD
            documents.append(response.json())
        return documents

    async def test_no_statement_is_lost_without_a_base(self, client: httpx.AsyncClient) -> None:
        for document in await self._documents(client):
            kept = statements(document, base=None)
            resolved = statements(document, base="https://elsewhere.example/")
            assert len(kept) == len(resolved) > 5, json.dumps(document)[:300]
            for statement in kept:
                subject = statement["subject"]
                if subject["type"] == "IRI":
                    assert subject["value"].startswith(PUBLIC + "/"), subject
                linked = statement["object"]
                if linked["type"] == "IRI":
                    assert urlsplit(linked["value"]).scheme in ("http", "https"), linked
            assert {s["subject"]["value"] for s in kept} >= {document["@id"]}
