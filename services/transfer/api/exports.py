"""A city's indicators as IATI-style JSON and as CSV."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from services.transfer.api.common import PREFIX, CityCode
from services.transfer.service import exports
from shared.csv_export import csv_response
from shared.db import ReadConnection
from shared.i18n import Language
from shared.problems import problem_responses

router = APIRouter(prefix=PREFIX, tags=["transfer"])


@router.get(
    "/cities/{city}/indicators.json",
    summary="The city's indicators in IATI 2.03's result structure",
    responses=problem_responses(404),
)
async def indicators_json(city: CityCode, connection: ReadConnection) -> dict[str, Any]:
    return await exports.iati_json(connection, city)


@router.get(
    "/cities/{city}/indicators.csv",
    summary="The city's indicators as CSV, one row per reporting period",
    description=(
        "UTF-8 with a byte order mark and CRLF line ends; a cell that a spreadsheet would read "
        "as a formula starts with a single quote."
    ),
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, **problem_responses(404)},
)
async def indicators_csv(
    city: CityCode,
    connection: ReadConnection,
    lang: Annotated[Language | None, Query(description="Language of the titles")] = None,
) -> Response:
    rows = await exports.indicators_csv(connection, city, lang.value if lang else None)
    return csv_response(exports.CSV_COLUMNS, rows, filename=f"{city}-indicators.csv")
