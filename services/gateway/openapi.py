"""The public API's one OpenAPI document: the gateway's own routes merged with each service's.

Service documents are fetched over HTTP and cached briefly; a service that does not answer
leaves its last good document in place (or none yet), so `/docs` keeps working.
"""

from __future__ import annotations

import copy
import json
import time
from typing import Any

import httpx
from fastapi import FastAPI

from shared.openapi import add_problem_statuses
from shared.peers import peer_get
from shared.problems import Problem
from shared.settings import SERVICE_NAMES

CACHE_SECONDS = 30.0
GATEWAY_PROBLEMS = (401, 429, 504)


class MergedOpenAPI:
    def __init__(self) -> None:
        self._documents: dict[str, dict[str, Any]] = {}
        self._fetched_at: dict[str, float] = {}

    async def _service_document(self, app: FastAPI, name: str) -> dict[str, Any] | None:
        fresh = time.monotonic() - self._fetched_at.get(name, -CACHE_SECONDS) < CACHE_SECONDS
        if not fresh:
            try:
                response = await peer_get(app.state.peers[name], "/openapi.json", name)
                if response.status_code == 200:
                    self._documents[name] = response.json()
                    self._fetched_at[name] = time.monotonic()
            except (Problem, httpx.HTTPError, json.JSONDecodeError):
                pass
        return self._documents.get(name)

    async def document(self, app: FastAPI) -> dict[str, Any]:
        merged = copy.deepcopy(app.openapi())
        merged["info"] = {
            "title": "MAGNET platform API",
            "version": "1",
            "description": "Catalog, participation and transfer services behind one gateway.",
        }
        paths: dict[str, Any] = merged.setdefault("paths", {})
        schemas: dict[str, Any] = merged.setdefault("components", {}).setdefault("schemas", {})
        for name in SERVICE_NAMES:
            document = await self._service_document(app, name)
            if document is None:
                continue
            _merge(paths, schemas, document, name)
        return merged


def _merge(
    paths: dict[str, Any], schemas: dict[str, Any], document: dict[str, Any], service: str
) -> None:
    theirs: dict[str, Any] = document.get("components", {}).get("schemas", {})
    renames = {
        schema_name: f"{service.capitalize()}{schema_name}"
        for schema_name, schema in theirs.items()
        if schema_name in schemas and schemas[schema_name] != schema
    }
    text = json.dumps({"paths": document.get("paths", {}), "schemas": theirs})
    for old, new in renames.items():
        text = text.replace(f'"#/components/schemas/{old}"', f'"#/components/schemas/{new}"')
    renamed = json.loads(text)
    for schema_name, schema in renamed["schemas"].items():
        schemas[renames.get(schema_name, schema_name)] = schema
    proxied = {
        path: item
        for path, item in renamed["paths"].items()
        if path.startswith(f"/api/v1/{service}/")
    }
    # Through the gateway: an unknown API key (401), the rate limit (429) and a slow
    # service (504) too.
    add_problem_statuses(proxied, GATEWAY_PROBLEMS)
    paths.update(proxied)
