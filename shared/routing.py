"""Routes are added flat, never as included routers.

FastAPI keeps an included router as one route that matches by trying each route inside it,
and then tries them again inside it to dispatch, at every level of nesting: a participation
request was matched three times over, 7 % of its CPU (bench/README.md). A route carries its
full path, tags and dependencies from the moment it is declared (a router's prefix is
applied then), so copying the routes into one list serves the same routes and the same
OpenAPI document.
"""

from __future__ import annotations

from fastapi import APIRouter


def add_routes(target: APIRouter, *routers: APIRouter) -> None:
    """Append the routes of `routers`, in order, to `target` (an app's router or another)."""
    for router in routers:
        target.routes.extend(router.routes)


def merged(*routers: APIRouter) -> APIRouter:
    """One router holding the routes of `routers`, in order."""
    router = APIRouter()
    add_routes(router, *routers)
    return router
