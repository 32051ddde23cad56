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

from shared.generators import rename_schemas, title_schemas
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

    async def document(self, app: FastAPI, server: str) -> dict[str, Any]:
        services: dict[str, dict[str, Any]] = {}
        for name in SERVICE_NAMES:
            document = await self._service_document(app, name)
            if document is not None:
                services[name] = document
        return merge_documents(app.openapi(), services, server)


INFO = {
    "title": "MAGNET platform API",
    "version": "1",
    "description": "Catalog, participation and transfer services behind one gateway.",
    "contact": {"name": "MAGNET, Municipality of Celje", "url": "https://www.celje.si"},
    "license": {"name": "EUPL-1.2", "identifier": "EUPL-1.2"},
}


def merge_documents(
    gateway: dict[str, Any], services: dict[str, dict[str, Any]], server: str
) -> dict[str, Any]:
    """One document: the gateway's routes, then each service's public ones.

    The services' schemas keep their names; a gateway schema whose name a service already
    uses (the dashboard's summaries of cities, plans, events…) is prefixed `Dashboard`.
    """
    merged = copy.deepcopy(gateway)
    merged["info"] = dict(INFO)
    merged["servers"] = [{"url": server, "description": "This gateway"}]
    components: dict[str, Any] = merged.setdefault("components", {})
    schemas: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    for service, document in services.items():
        document = _renamed(document, schemas, service.capitalize())
        schemas.update(document.get("components", {}).get("schemas", {}))
        proxied = {
            path: item
            for path, item in document.get("paths", {}).items()
            if path.startswith(f"/api/v1/{service}/")
        }
        # Through the gateway: an unknown API key (401), the rate limit (429) and a slow
        # service (504) too.
        add_problem_statuses(proxied, GATEWAY_PROBLEMS)
        paths.update(proxied)
        for kind in ("headers", "securitySchemes"):
            components.setdefault(kind, {}).update(document.get("components", {}).get(kind, {}))
    merged = _renamed(merged, schemas, "Dashboard")
    merged["components"]["schemas"] = {**schemas, **merged["components"].get("schemas", {})}
    merged["paths"] = {**merged.get("paths", {}), **paths}
    title_schemas(merged)
    return merged


def _renamed(document: dict[str, Any], taken: dict[str, Any], prefix: str) -> dict[str, Any]:
    theirs: dict[str, Any] = document.get("components", {}).get("schemas", {})
    renames = {
        name: f"{prefix}{name}"
        for name, schema in theirs.items()
        if name in taken and _untitled(taken[name]) != _untitled(schema)
    }
    return rename_schemas(document, renames)


def _untitled(schema: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in schema.items() if key != "title"}
