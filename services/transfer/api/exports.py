"""A city's plans as IATI 2.03 activities (XML and the same model as JSON), indicators as CSV."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from services.transfer.api.common import PREFIX, CityCode
from services.transfer.service import exports, iati, iati_xml
from shared.csv_export import csv_response
from shared.db import ReadConnection
from shared.i18n import Language
from shared.problems import NotFound, problem_responses

router = APIRouter(prefix=PREFIX, tags=["transfer"])


_IATI_MODEL = """
One `iati-activity` per plan, identified as `<MAGNET_IATI_REPORTING_ORG_REF>-<plan id>`:
reporting and participating organisations, status and planned dates from the plan's stages,
the recipient country, sectors (DAC 43030 and the challenge), and one result whose
indicators carry a baseline with its year and periods with target and actual. The
indicator's target sits in the period that contains its date, or in a period of its own
ending on that date. Narratives come one per language, each with `xml:lang`.
"""


@router.get(
    "/cities/{city}/indicators.json",
    summary="The city's plans as IATI 2.03 activities, as JSON",
    description=_IATI_MODEL + "\nThe same model as `iati.xml`, with IATI's names.",
    responses=problem_responses(404),
)
async def indicators_json(
    city: CityCode, request: Request, connection: ReadConnection
) -> dict[str, Any]:
    found = await iati.activities(connection, request.app.state.settings, city)
    return iati.as_json(city, datetime.now(UTC), found)


@router.get(
    "/cities/{city}/iati.xml",
    summary="The city's plans as an IATI 2.03 activities file",
    description=_IATI_MODEL
    + "\nValid against the official IATI 2.03 activity schema. A city without plans has "
    "nothing to publish (404: an activities file holds at least one activity).",
    response_class=Response,
    responses={
        200: {
            "content": {"application/xml": {"schema": {"type": "string"}}},
            "description": "An `iati-activities` document, version 2.03",
        },
        **problem_responses(404),
    },
)
async def iati_activities(city: CityCode, request: Request, connection: ReadConnection) -> Response:
    found = await iati.activities(connection, request.app.state.settings, city)
    if not found:
        raise NotFound(f"{city} has no plans to publish yet.")
    return Response(
        iati_xml.activities_xml(datetime.now(UTC), found),
        media_type="application/xml",
        headers={"Content-Disposition": f'inline; filename="{city}-iati-activities.xml"'},
    )


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
