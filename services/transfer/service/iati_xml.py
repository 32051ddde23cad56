"""IATI 2.03 activities XML, element by element in the order the official XSD requires."""

from __future__ import annotations

from datetime import datetime

from lxml import etree

from services.transfer.service.iati import (
    URBAN_DEVELOPMENT,
    VERSION,
    Activity,
    IndicatorResult,
    Org,
    Text,
    number,
)

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
DEFAULT_LANG = "en"


def _sub(parent: etree._Element, tag: str, **attributes: str | None) -> etree._Element:
    element = etree.SubElement(parent, tag)
    for name, value in attributes.items():
        if value is not None:
            element.set(name.replace("_", "-"), value)
    return element


def _narratives(parent: etree._Element, text: Text) -> etree._Element:
    """One narrative per language, each saying which."""
    for lang, value in sorted(text.items()):
        narrative = _sub(parent, "narrative")
        narrative.text = value
        narrative.set(XML_LANG, lang)
    return parent


def _org(parent: etree._Element, tag: str, org: Org) -> None:
    _narratives(_sub(parent, tag, ref=org.ref, type=org.type, role=org.role), org.name)


def activities_xml(generated: datetime, found: list[Activity]) -> bytes:
    root = etree.Element("iati-activities", version=VERSION)
    root.set("generated-datetime", generated.isoformat(timespec="seconds"))
    for activity in found:
        _activity(root, activity)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _activity(root: etree._Element, activity: Activity) -> None:
    element = _sub(root, "iati-activity")
    element.set("last-updated-datetime", activity.last_updated.isoformat(timespec="seconds"))
    element.set(XML_LANG, DEFAULT_LANG)
    _sub(element, "iati-identifier").text = activity.identifier
    _org(element, "reporting-org", activity.reporting_org)
    _narratives(_sub(element, "title"), activity.title)
    _narratives(_sub(element, "description", type="1"), activity.description)
    for org in activity.participating:
        _org(element, "participating-org", org)
    _sub(element, "other-identifier", ref=activity.plan_id, type="A1")
    _sub(element, "activity-status", code=activity.status)
    for kind, on in activity.dates:
        _sub(element, "activity-date", type=kind, iso_date=on.isoformat())
    _sub(element, "recipient-country", code=activity.country, percentage="100")
    _sub(element, "sector", vocabulary="1", code=URBAN_DEVELOPMENT, percentage="100")
    _sub(element, "sector", vocabulary="99", code=activity.challenge, percentage="100")
    if activity.indicators:
        result = _sub(element, "result", type="2")
        _narratives(_sub(result, "title"), activity.title)
        for indicator in activity.indicators:
            _indicator(result, indicator)


def _indicator(result: etree._Element, indicator: IndicatorResult) -> None:
    element = _sub(
        result,
        "indicator",
        measure=indicator.measure,
        ascending="1" if indicator.ascending else "0",
    )
    _narratives(_sub(element, "title"), indicator.title)
    _narratives(_sub(element, "description"), {DEFAULT_LANG: f"Unit: {indicator.unit}"})
    _sub(element, "reference", vocabulary="99", code=indicator.code)
    if (baseline := indicator.baseline) is not None:
        _sub(
            element,
            "baseline",
            year=str(baseline.year),
            iso_date=baseline.iso_date.isoformat() if baseline.iso_date else None,
            value=None if baseline.value is None else number(baseline.value),
        )
    for period in indicator.periods:
        element_period = _sub(element, "period")
        _sub(element_period, "period-start", iso_date=period.start.isoformat())
        _sub(element_period, "period-end", iso_date=period.end.isoformat())
        if period.target is not None:
            _sub(element_period, "target", value=number(period.target))
        if period.actual is not None or period.comment:
            actual = _sub(
                element_period,
                "actual",
                value=None if period.actual is None else number(period.actual),
            )
            if period.comment:
                _narratives(_sub(actual, "comment"), period.comment)
