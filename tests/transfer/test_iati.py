"""`iati.xml` is an IATI 2.03 activities file the official XSD accepts; the JSON has its model."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree

from services.transfer.app import create_app
from services.transfer.service import iati
from shared.settings import Settings
from tests.conftest import asgi_client, make_settings
from tests.transfer.test_plans import BASE
from tests.transfer.test_sync import batch, plans_of, push

SCHEMA = Path(__file__).parent / "data" / "iati-2.03" / "iati-activities-schema.xsd"
LANG = "{http://www.w3.org/XML/1998/namespace}lang"
DEMO_CITIES = ("varazdin", "kosice", "nardo")


@cache
def official_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


def valid_activities(response: httpx.Response) -> etree._Element:
    """The parsed document, after the official 2.03 schema accepted it."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/xml"
    document = etree.fromstring(response.content)
    schema = official_schema()
    assert schema.validate(document), schema.error_log
    return document


def narratives(element: etree._Element) -> dict[str, str]:
    found = element.findall("narrative")
    assert all(LANG in narrative.attrib for narrative in found)
    languages = [narrative.get(LANG) for narrative in found]
    assert len(languages) == len(set(languages)), "one narrative per language"
    return {str(narrative.get(LANG)): str(narrative.text) for narrative in found}


def attribute(parent: etree._Element, path: str, name: str) -> str | None:
    element = parent.find(path)
    return None if element is None else element.get(name)


def reported_batch() -> dict[str, Any]:
    body = batch(milestones=1)
    body["plans"][0]["title"] = {"hr": "Prijenos: stanovanje", "en": "Transfer: housing"}
    body["indicators"][0]["title"] = {"hr": "Obnovljeni domovi", "en": "Homes renovated"}
    body["indicators"][0]["periods"] = [
        {
            "start": "2026-01-01",
            "end": "2026-06-30",
            "actual": 10,
            "comment": {"hr": "Prvi stanovi", "en": "First flats & a <b>"},
        },
        {"start": "2026-07-01", "end": "2026-12-31", "actual": 12.5},
    ]
    return body


class TestIatiXml:
    async def test_a_synced_plan_is_one_valid_activity_with_results(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        assert (await push(api, city, partner, reported_batch())).status_code == 200
        [plan] = await plans_of(api, city)

        document = valid_activities(await api.get(f"{BASE}/{city}/iati.xml"))

        assert document.get("version") == "2.03"
        [activity] = document.findall("iati-activity")
        identifier = activity.findtext("iati-identifier")
        assert identifier == f"MAGNET-CELJE-{plan['id']}"
        assert not set("/&|?") & set(identifier)
        reporter = activity.find("reporting-org")
        assert reporter is not None
        assert (reporter.get("ref"), reporter.get("type")) == ("MAGNET-CELJE", "10")
        assert narratives(reporter) == {"en": "City Municipality of Celje"}
        title = activity.find("title")
        assert title is not None
        assert narratives(title) == {"hr": "Prijenos: stanovanje", "en": "Transfer: housing"}
        roles = [org.get("role") for org in activity.findall("participating-org")]
        assert roles == ["1", "2", "4"]
        assert activity.find("activity-status") is not None
        dates = {d.get("type"): d.get("iso-date") for d in activity.findall("activity-date")}
        assert dates == {"1": "2026-01-01", "3": "2027-06-30"}  # the stages of plan_body
        sectors = {(s.get("vocabulary"), s.get("code")) for s in activity.findall("sector")}
        assert sectors == {("1", "43030"), ("99", "housing")}

        [indicator] = activity.findall("result/indicator")
        assert (indicator.get("measure"), indicator.get("ascending")) == ("1", "1")
        indicator_title = indicator.find("title")
        assert indicator_title is not None
        assert narratives(indicator_title) == {"hr": "Obnovljeni domovi", "en": "Homes renovated"}
        baseline = indicator.find("baseline")
        assert baseline is not None
        assert dict(baseline.attrib.items()) == {
            "year": "2025",
            "iso-date": "2025-12-31",
            "value": "0",
        }
        periods = [
            (
                attribute(period, "period-start", "iso-date"),
                attribute(period, "period-end", "iso-date"),
                attribute(period, "target", "value"),
                attribute(period, "actual", "value"),
            )
            for period in indicator.findall("period")
        ]
        assert periods == [
            ("2026-01-01", "2026-06-30", None, "10"),
            ("2026-07-01", "2026-12-31", None, "12.5"),
            ("2027-01-01", "2027-12-31", "40", None),  # the target, ending on its date
        ]
        comment = indicator.find("period/actual/comment")
        assert comment is not None
        assert narratives(comment) == {"hr": "Prvi stanovi", "en": "First flats & a <b>"}

    async def test_the_target_joins_the_period_that_contains_its_date(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        body = reported_batch()
        body["indicators"][0]["target"] = {"value": 40, "date": "2026-12-31"}
        assert (await push(api, city, partner, body)).status_code == 200

        document = valid_activities(await api.get(f"{BASE}/{city}/iati.xml"))

        periods = document.findall("iati-activity/result/indicator/period")
        assert len(periods) == 2
        target = periods[1].find("target")
        assert target is not None
        assert target.get("value") == "40"

    async def test_every_plan_is_an_activity_and_one_without_indicators_has_no_result(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        body = reported_batch()
        body["plans"].append(
            {"external_id": "plan-vibe", "challenge": "city-vibe", "title": {"hr": "Živost"}}
        )
        assert (await push(api, city, partner, body)).status_code == 200

        document = valid_activities(await api.get(f"{BASE}/{city}/iati.xml"))

        activities = document.findall("iati-activity")
        assert len(activities) == 2
        assert [len(a.findall("result")) for a in activities] == [0, 1]  # city-vibe, housing
        vibe = activities[0].find("activity-date")
        assert vibe is not None and vibe.get("type") == "1"  # no stages: the day it was made

    @pytest.mark.parametrize("city_code", DEMO_CITIES)
    async def test_the_demo_cities_publish_valid_files(
        self, api: httpx.AsyncClient, city_code: str
    ) -> None:
        document = valid_activities(await api.get(f"{BASE}/{city_code}/iati.xml"))

        plans = await plans_of(api, city_code)
        assert len(document.findall("iati-activity")) == len(plans) > 0

    async def test_the_reporting_org_comes_from_the_settings(
        self, database_url: str, city: str, partner: dict[str, str]
    ) -> None:
        settings = make_settings(
            database_url,
            iati_reporting_org_ref="SI-EXAMPLE-123",
            iati_reporting_org_name="Mestna občina Celje",
            iati_reporting_org_type="15",
        )
        async with asgi_client(create_app(settings)) as client:
            await push(client, city, partner, {"plans": reported_batch()["plans"]})
            document = valid_activities(await client.get(f"{BASE}/{city}/iati.xml"))

        identifier = document.findtext("iati-activity/iati-identifier")
        assert identifier is not None and identifier.startswith("SI-EXAMPLE-123-")
        reporter = document.find("iati-activity/reporting-org")
        assert reporter is not None
        assert (reporter.get("ref"), reporter.get("type")) == ("SI-EXAMPLE-123", "15")
        assert narratives(reporter) == {"en": "Mestna občina Celje"}

    @pytest.mark.parametrize("ref", ["SI/123", "A&B", "a|b", "why?", "two words"])
    def test_a_reporting_org_ref_that_would_spoil_identifiers_is_refused(
        self, settings: Settings, ref: str
    ) -> None:
        with pytest.raises(ValueError, match="iati_reporting_org_ref"):
            Settings(**{**settings.model_dump(), "iati_reporting_org_ref": ref})

    async def test_a_city_without_plans_has_nothing_to_publish(
        self, api: httpx.AsyncClient, city: str
    ) -> None:
        response = await api.get(f"{BASE}/{city}/iati.xml")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert (await api.get(f"{BASE}/atlantis/iati.xml")).status_code == 404


class TestIatiJson:
    async def test_the_json_export_has_the_same_model(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        assert (await push(api, city, partner, reported_batch())).status_code == 200
        [plan] = await plans_of(api, city)

        response = await api.get(f"{BASE}/{city}/indicators.json")

        assert response.status_code == 200
        body = response.json()
        assert body["iati-version"] == "2.03"
        [activity] = body["iati-activity"]
        assert activity["iati-identifier"] == f"MAGNET-CELJE-{plan['id']}"
        assert activity["other-identifier"] == [{"ref": plan["id"], "type": "A1"}]
        [result] = activity["result"]
        [indicator] = result["indicator"]
        assert indicator["ref"] == "HOMES"
        assert indicator["baseline"] == [{"year": 2025, "iso-date": "2025-12-31", "value": 0.0}]
        assert "target" not in indicator
        assert [(p["target"], p["actual"]) for p in indicator["period"]] == [
            (
                [],
                [
                    {
                        "value": 10.0,
                        "comment": {
                            "narrative": [
                                {"lang": "en", "text": "First flats & a <b>"},
                                {"lang": "hr", "text": "Prvi stanovi"},
                            ]
                        },
                    }
                ],
            ),
            ([], [{"value": 12.5, "comment": {"narrative": []}}]),
            ([{"value": 40.0}], []),
        ]
        assert indicator["progress"] == 0.3125


class TestActivityStatus:
    @pytest.mark.parametrize(
        ("today", "status"),
        [
            (date(2025, 9, 30), "1"),  # pipeline: before the first stage
            (date(2025, 10, 1), "2"),  # implementation
            (date(2027, 12, 31), "2"),
            (date(2028, 1, 1), "3"),  # finalisation: after the last stage
        ],
    )
    def test_status_follows_the_stages(self, today: date, status: str) -> None:
        starts, ends = [date(2025, 10, 1), date(2026, 7, 1)], [date(2027, 12, 31)]
        assert iati.activity_status(starts, ends, today) == status

    def test_a_plan_without_dated_stages_is_in_the_pipeline(self) -> None:
        assert iati.activity_status([], [], date(2026, 1, 1)) == "1"
