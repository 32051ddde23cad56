"""Entries as schema.org JSON-LD and as an Atom 1.0 feed (RFC 4287).

Links are absolute on the public address (`shared.links`): a harvester or a feed reader
keeps every statement without knowing where the document came from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

from services.catalog.schemas import Entry, EntryKind
from shared.i18n import LANGUAGES
from shared.linked_data import SCHEMA_ORG
from shared.seeding import seed_id

ENTRIES_PATH = "/api/v1/catalog/entries"
SCHEMA_TYPES = {
    EntryKind.METHOD: "HowTo",
    EntryKind.TOOL: "HowTo",
    EntryKind.STORY: "Article",
    EntryKind.PRACTICE: "CreativeWork",
}
ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def entry_path(entry: Entry) -> str:
    return f"{ENTRIES_PATH}/{entry.slug}"


def languages_of(entry: Entry) -> list[str]:
    return [language for language in LANGUAGES if language in entry.title]


def primary_language(entry: Entry, preferred: str | None) -> str:
    available = languages_of(entry)
    for language in (preferred, "en", "sl"):
        if language in available:
            return str(language)
    return available[0]


def _text(translations: Mapping[Any, str], language: str) -> str | None:
    return translations.get(language)


def _work(entry: Entry, language: str, base_url: str) -> dict[str, Any]:
    schema_type = SCHEMA_TYPES[entry.kind]
    link = f"{base_url}{entry_path(entry)}?lang={language}"
    node: dict[str, Any] = {
        "@type": schema_type,
        "@id": link,
        "url": link,
        "inLanguage": language,
        "name": _text(entry.title, language),
    }
    if schema_type == "Article":
        node["headline"] = _text(entry.title, language) or ""
    if (summary := _text(entry.summary, language)) is not None:
        node["description"] = summary
    if (body := _text(entry.body, language)) is not None:
        node["articleBody" if schema_type == "Article" else "text"] = body
    return node


def json_ld(entry: Entry, preferred: str | None, base_url: str) -> dict[str, Any]:
    """The entry in one language, its other languages linked as `workTranslation`s."""
    language = primary_language(entry, preferred)
    document: dict[str, Any] = {"@context": SCHEMA_ORG, **_work(entry, language, base_url)}
    document["identifier"] = str(entry.id)
    document["dateCreated"] = entry.created_at.isoformat()
    document["dateModified"] = entry.updated_at.isoformat()
    if entry.published_at is not None:
        document["datePublished"] = entry.published_at.isoformat()
    document["genre"] = entry.kind.value
    document["keywords"] = [*entry.innovation_blocks, *entry.challenges]
    if entry.cities:
        document["spatialCoverage"] = [{"@type": "City", "identifier": c} for c in entry.cities]
    document["publisher"] = {"@type": "Organization", "name": "MAGNET Celje"}
    translations = [
        {**_work(entry, other, base_url), "translationOfWork": {"@id": document["@id"]}}
        for other in languages_of(entry)
        if other != language
    ]
    if translations:
        document["workTranslation"] = translations
    return document


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def atom_feed(
    entries: Sequence[Entry], language: str | None, self_url: str, base_url: str
) -> bytes:
    ElementTree.register_namespace("", ATOM)
    feed = ElementTree.Element(f"{{{ATOM}}}feed")
    if language:
        feed.set(XML_LANG, language)
    title = "MAGNET catalog" + (f" ({language})" if language else "")
    ElementTree.SubElement(
        feed, f"{{{ATOM}}}id"
    ).text = f"urn:uuid:{seed_id('catalog-feed', language or 'all')}"
    ElementTree.SubElement(feed, f"{{{ATOM}}}title").text = title
    ElementTree.SubElement(
        feed, f"{{{ATOM}}}subtitle"
    ).text = "Stories, methods, tools and practices from Celje's MAGNET network"
    newest = max((entry.updated_at for entry in entries), default=datetime(2026, 1, 1, tzinfo=UTC))
    ElementTree.SubElement(feed, f"{{{ATOM}}}updated").text = _timestamp(newest)
    author = ElementTree.SubElement(feed, f"{{{ATOM}}}author")
    ElementTree.SubElement(author, f"{{{ATOM}}}name").text = "MAGNET Celje"
    ElementTree.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=self_url)
    for entry in entries:
        _atom_entry(feed, entry, primary_language(entry, language), base_url)
    document: bytes = ElementTree.tostring(feed, encoding="utf-8", xml_declaration=True)
    return document


def _atom_entry(feed: ElementTree.Element, entry: Entry, language: str, base_url: str) -> None:
    element = ElementTree.SubElement(feed, f"{{{ATOM}}}entry")
    element.set(XML_LANG, language)
    ElementTree.SubElement(element, f"{{{ATOM}}}id").text = f"urn:uuid:{entry.id}"
    ElementTree.SubElement(element, f"{{{ATOM}}}title").text = _text(entry.title, language) or ""
    ElementTree.SubElement(element, f"{{{ATOM}}}updated").text = _timestamp(entry.updated_at)
    if entry.published_at is not None:
        ElementTree.SubElement(element, f"{{{ATOM}}}published").text = _timestamp(
            entry.published_at
        )
    ElementTree.SubElement(
        element,
        f"{{{ATOM}}}link",
        rel="alternate",
        type="application/json",
        href=f"{base_url}{entry_path(entry)}?lang={language}",
    )
    for scheme, terms in (
        ("kind", [entry.kind.value]),
        ("innovation-block", entry.innovation_blocks),
        ("challenge", entry.challenges),
    ):
        for term in terms:
            ElementTree.SubElement(
                element, f"{{{ATOM}}}category", term=term, scheme=f"urn:magnet:{scheme}"
            )
    if (summary := _text(entry.summary, language)) is not None:
        ElementTree.SubElement(element, f"{{{ATOM}}}summary", type="text").text = summary
    if (body := _text(entry.body, language)) is not None:
        ElementTree.SubElement(element, f"{{{ATOM}}}content", type="text").text = body
