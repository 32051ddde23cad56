"""Dashboard routes: a partner city's page, and all of them at once."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from services.gateway.dashboard import schemas, service
from services.gateway.dashboard.cache import SharedResults
from shared.i18n import LANGUAGES, Language
from shared.problems import problem_responses

router = APIRouter(prefix="/api/v1/dashboard", tags=["dashboard"])
CityCode = Annotated[
    str, Path(max_length=40, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", examples=["kosice"])
]
Lang = Annotated[
    Language | None,
    Query(description="Language of titles; else from Accept-Language; else English."),
]
DEFAULT_LANGUAGE = "en"


def preferred_language(lang: Language | None, accept_language: str | None) -> str:
    """`?lang=` wins; else the known language with the highest q in Accept-Language."""
    if lang is not None:
        return lang.value
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        language = tag.lower().split("-")[0]
        if language in LANGUAGES and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


def _gathering(request: Request, lang: Language | None) -> service.Gathering:
    chosen = preferred_language(lang, request.headers.get("accept-language"))
    return service.Gathering(
        request.app.state.upstreams,
        request.app.state.settings.dashboard_deadline_seconds,
        chosen,
        request.app.state.settings.public_base_url,
    )


def _negotiated(response: Response, lang: str) -> None:
    response.headers["Content-Language"] = lang
    response.headers["Vary"] = "Accept-Language"
    response.headers["Cache-Control"] = "no-cache"


@router.get(
    "/cities/{city}",
    summary="A partner city's page: plans, indicators, linked practices, upcoming events",
    description=(
        "The services are asked concurrently; a part whose service is down or slow is "
        '`{"status": "unavailable"}` and the rest still comes within the deadline.'
    ),
    responses=problem_responses(404, 422),
)
async def city_dashboard(
    city: CityCode, request: Request, response: Response, lang: Lang = None
) -> schemas.CityDashboard:
    gathering = _gathering(request, lang)
    _negotiated(response, gathering.lang)
    return await service.city_dashboard(gathering, city)


@router.get(
    "/overview",
    summary="Every partner city's plans and practices, and the upcoming events",
    response_model=schemas.Overview,
    responses=problem_responses(422),
)
async def overview(request: Request, lang: Lang = None) -> Response:
    chosen = preferred_language(lang, request.headers.get("accept-language"))
    shared: SharedResults[bytes] = request.app.state.overview_results

    async def rendered() -> bytes:
        computed = await service.overview(_gathering(request, lang))
        return computed.model_dump_json().encode()

    # Kept rendered: a flood of requests then costs neither the services nor serialising.
    response = Response(await shared.get(chosen, rendered), media_type="application/json")
    _negotiated(response, chosen)
    return response
