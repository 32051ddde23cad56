"""Every service's OpenAPI document declares the problems its operations can return."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.participation.schemas.events import EventPatch
from services.participation.schemas.hubs import SpacePatch
from services.participation.schemas.labs import LabPatch
from services.participation.schemas.proposals import CommentPatch, ProposalPatch
from shared.merge_patch import PATCH_MEDIA_TYPES
from shared.openapi import METHODS
from shared.settings import Settings

PROBLEM_SCHEMA = {"$ref": "#/components/schemas/ProblemDetail"}


def documents(settings: Settings) -> dict[str, dict[str, Any]]:
    from services.catalog.app import create_app as catalog
    from services.gateway.app import create_app as gateway
    from services.participation.app import create_app as participation
    from services.transfer.app import create_app as transfer

    factories = {
        "catalog": catalog,
        "participation": participation,
        "transfer": transfer,
        "gateway": gateway,
    }
    apps: dict[str, FastAPI] = {name: make(settings) for name, make in factories.items()}
    return {name: app.openapi() for name, app in apps.items()}


def operations(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{method.upper()} {path}", item[method])
        for path, item in document["paths"].items()
        for method in METHODS
        if method in item
    ]


@pytest.fixture(scope="module")
def all_documents(settings: Settings) -> dict[str, dict[str, Any]]:
    return documents(settings)


class TestProblemDocumentation:
    def test_every_error_response_is_a_problem_document(
        self, all_documents: dict[str, dict[str, Any]]
    ) -> None:
        for document in all_documents.values():
            assert "ProblemDetail" in document["components"]["schemas"]
            assert "HTTPValidationError" not in document["components"]["schemas"]
            for label, operation in operations(document):
                for status, response in operation["responses"].items():
                    if status[0] in "45":
                        content = response["content"]
                        assert content == {
                            "application/problem+json": {"schema": PROBLEM_SCHEMA}
                        }, (
                            label,
                            status,
                        )

    def test_every_operation_declares_the_problems_any_request_can_meet(
        self, all_documents: dict[str, dict[str, Any]]
    ) -> None:
        for document in all_documents.values():
            for label, operation in operations(document):
                assert {"400", "413", "500", "503"} <= set(operation["responses"]), label
                parameters = operation.get("parameters", [])
                if parameters or "requestBody" in operation:
                    assert "422" in operation["responses"], label
                if any(parameter["in"] == "path" for parameter in parameters):
                    assert "404" in operation["responses"], label
                if operation.get("security"):
                    assert "401" in operation["responses"], label

    def test_route_specific_problems_stay_declared(
        self, all_documents: dict[str, dict[str, Any]]
    ) -> None:
        patch = all_documents["catalog"]["paths"]["/api/v1/catalog/entries/{ref}"]["patch"]
        assert {"409", "412", "415", "428"} <= set(patch["responses"])


def references(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in references(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in references(value)]
    return []


class TestMergePatchDocumentation:
    SERVICES = ("catalog", "participation", "transfer")

    def test_every_patch_takes_both_media_types_and_may_answer_415(
        self, all_documents: dict[str, dict[str, Any]]
    ) -> None:
        patches = 0
        for name in self.SERVICES:
            for label, operation in operations(all_documents[name]):
                if not label.startswith("PATCH "):
                    continue
                patches += 1
                body = operation["requestBody"]
                assert body["required"] is True, label
                assert list(body["content"]) == list(PATCH_MEDIA_TYPES), label
                schemas = [content["schema"] for content in body["content"].values()]
                assert schemas[0] == schemas[1], label
                assert {"400", "415", "422", "428"} <= set(operation["responses"]), label
        assert patches == 10, "catalog 1, participation 5, transfer 4"

    def test_typed_patches_keep_their_model_as_the_schema(
        self, all_documents: dict[str, dict[str, Any]]
    ) -> None:
        document = all_documents["participation"]
        for path, model in (
            ("/api/v1/participation/spaces/{space_id}", SpacePatch),
            ("/api/v1/participation/events/{event_id}", EventPatch),
            ("/api/v1/participation/labs/{lab_id}", LabPatch),
            ("/api/v1/participation/proposals/{proposal_id}", ProposalPatch),
            ("/api/v1/participation/comments/{comment_id}", CommentPatch),
        ):
            content = document["paths"][path]["patch"]["requestBody"]["content"]
            reference = f"#/components/schemas/{model.__name__}"
            assert content["application/merge-patch+json"]["schema"] == {"$ref": reference}
            schema = document["components"]["schemas"][model.__name__]
            assert set(schema["properties"]) == set(model.model_fields), path
            assert schema["description"] == model.__doc__

    def test_every_reference_resolves(self, all_documents: dict[str, dict[str, Any]]) -> None:
        for name, document in all_documents.items():
            for reference in references(document):
                assert reference.startswith("#/components/"), (name, reference)
                node: Any = document
                for part in reference.removeprefix("#/").split("/"):
                    assert part in node, (name, reference)
                    node = node[part]


class TestMergedDocument:
    async def test_proxied_operations_declare_the_gateways_own_problems(
        self, gateway: httpx.AsyncClient
    ) -> None:
        document = (await gateway.get("/openapi.json")).json()
        proxied = [
            (label, operation)
            for label, operation in operations(document)
            # The gateway's own routes are not proxied.
            if not label.split(" ")[1].startswith(
                ("/api/v1/auth", "/api/v1/dashboard", "/healthz", "/readyz")
            )
        ]
        assert len(proxied) > 50
        for label, operation in proxied:
            assert {"401", "429", "503", "504"} <= set(operation["responses"]), label
            problem = operation["responses"]["504"]["content"]["application/problem+json"]
            assert problem == {"schema": PROBLEM_SCHEMA}, label
