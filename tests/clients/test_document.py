"""The merged OpenAPI document is written for client generators (API.md §1)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate

from cli.openapi import merged_document
from shared.openapi import METHODS
from shared.settings import Settings

OPERATION_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
BEARER: dict[str, list[str]] = {"HTTPBearer": []}


@pytest.fixture(scope="module")
def document(settings: Settings) -> dict[str, Any]:
    return merged_document(settings)


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, item[method])
        for path, item in document["paths"].items()
        for method in METHODS
        if method in item
    ]


def test_the_document_is_valid_openapi(document: dict[str, Any]) -> None:
    validate(document)


def test_operation_ids_are_short_unique_and_follow_one_rule(document: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, _, operation in operations(document)]
    assert len(ids) == len(set(ids))
    for operation_id in ids:
        assert OPERATION_ID.match(operation_id) and len(operation_id) <= 30, operation_id
    found = {(method, path): op["operationId"] for method, path, op in operations(document)}
    assert found["get", "/api/v1/participation/events"] == "events-list"
    assert (
        found["delete", "/api/v1/participation/events/{event_id}/registrations/{registration_id}"]
        == "registration-cancel"
    )
    assert found["patch", "/api/v1/transfer/cities/{city}/plans/{plan_id}"] == "plan-patch"


def test_every_schema_is_titled_with_its_own_unique_name(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for name, schema in schemas.items():
        assert schema.get("title") == name
        assert re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", name), name
    # The services' resources keep their names; the dashboard's summaries give way.
    for name in ("Event", "City", "Plan", "Milestone", "Indicator", "PlanProgress"):
        assert f"Dashboard{name}" in schemas
    assert (
        "date" in schemas["Milestone"]["properties"] or "due" in schemas["Milestone"]["properties"]
    )
    assert "starts_at" in schemas["Event"]["properties"]


def test_every_request_body_is_typed(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        for media_type, content in operation.get("requestBody", {}).get("content", {}).items():
            assert "$ref" in content["schema"], (method, path, media_type)
        if method == "patch":
            content = operation["requestBody"]["content"]
            assert set(content) == {"application/merge-patch+json", "application/json"}, path


def test_patch_bodies_list_the_resources_fields_all_optional(
    document: dict[str, Any],
) -> None:
    schemas = document["components"]["schemas"]
    for name in ("EntryPatch", "PlanPatch", "MilestonePatch", "IndicatorPatch", "ReportPatch"):
        assert schemas[name]["properties"], name
        assert "required" not in schemas[name], name
    assert {"title", "stages", "practice_ids"} <= set(schemas["PlanPatch"]["properties"])


def test_sync_records_are_typed(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    batch = schemas["SyncBatch"]["properties"]
    for kind, record in (
        ("plans", "PlanRecord"),
        ("milestones", "MilestoneRecord"),
        ("indicators", "IndicatorRecord"),
        ("reports", "ReportRecord"),
    ):
        assert batch[kind]["items"] == {"$ref": f"#/components/schemas/{record}"}
        assert "external_id" in schemas[record]["required"]


def test_security_is_declared_per_operation(document: dict[str, Any]) -> None:
    found = {(method, path): op["security"] for method, path, op in operations(document)}
    for method, path, operation in operations(document):
        assert "security" in operation, (method, path)
    # Public reads: a token is optional (it shows more); writes need one; feeds need none.
    assert found["get", "/api/v1/participation/events"] == [{}, BEARER]
    assert found["get", "/api/v1/catalog/entries"] == [{}, BEARER]
    assert found["get", "/api/v1/transfer/cities"] == []
    assert found["post", "/api/v1/participation/events"] == [BEARER]
    assert found["get", "/api/v1/auth/me"] == [BEARER]
    assert "HTTPBearer" in document["components"]["securitySchemes"]


def test_if_match_is_required_wherever_428_is_answered(document: dict[str, Any]) -> None:
    required = 0
    for method, path, operation in operations(document):
        if "428" not in operation["responses"]:
            continue
        headers = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "header"}
        assert headers["If-Match"]["required"] is True, (method, path)
        required += 1
    assert required >= 17


def test_response_headers_are_documented(document: dict[str, Any]) -> None:
    def headers(method: str, path: str, status: str) -> set[str]:
        return set(document["paths"][path][method]["responses"][status].get("headers", {}))

    assert {"ETag"} <= headers("get", "/api/v1/participation/events/{event_id}", "200")
    assert {"ETag"} <= headers("patch", "/api/v1/participation/events/{event_id}", "200")
    assert {"ETag"} <= headers("patch", "/api/v1/participation/events/{event_id}", "412")
    assert {"Link"} <= headers("get", "/api/v1/participation/events", "200")
    assert {"Location", "ETag", "Idempotent-Replayed"} <= headers(
        "post", "/api/v1/participation/events", "201"
    )
    assert {"Retry-After"} <= headers("get", "/api/v1/participation/events", "429")
    assert {"Retry-After"} <= headers("post", "/api/v1/auth/token", "429")
    assert set(document["components"]["headers"]) >= {"ETag", "Link", "Location", "Retry-After"}


def test_info_names_servers_licence_and_contact(document: dict[str, Any]) -> None:
    assert document["servers"][0]["url"] == "http://localhost:8000"
    assert document["info"]["license"]["identifier"] == "EUPL-1.2"
    assert document["info"]["contact"]["url"].startswith("https://")


@pytest.mark.slow
async def test_the_gateway_serves_the_same_document(
    gateway: httpx.AsyncClient, document: dict[str, Any]
) -> None:
    served = (await gateway.get("/openapi.json")).json()
    assert served["servers"] == [
        {"url": str(gateway.base_url).rstrip("/"), "description": "This gateway"}
    ]
    assert {**served, "servers": document["servers"]} == document


@pytest.mark.slow
async def test_the_documented_response_headers_are_sent(
    gateway: httpx.AsyncClient, admin: dict[str, str], document: dict[str, Any]
) -> None:
    def documented(method: str, path: str, status: str) -> set[str]:
        return set(document["paths"][path][method]["responses"][status].get("headers", {}))

    events = await gateway.get("/api/v1/participation/events", params={"limit": 1})
    event = events.json()["items"][0]
    one = await gateway.get(f"/api/v1/participation/events/{event['id']}")
    created = await gateway.post(
        "/api/v1/catalog/entries",
        json={"kind": "story", "title": {"en": "Headers as documented"}},
        headers=admin,
    )

    for response, method, path, status in (
        (events, "get", "/api/v1/participation/events", "200"),
        (one, "get", "/api/v1/participation/events/{event_id}", "200"),
        (created, "post", "/api/v1/catalog/entries", "201"),
    ):
        assert response.status_code == int(status), response.text
        sent = {name.lower() for name in response.headers}
        for header in documented(method, path, status) - {"Idempotent-Replayed"}:
            assert header.lower() in sent, (path, header)
