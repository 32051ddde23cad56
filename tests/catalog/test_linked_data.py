"""Entries as schema.org JSON-LD, and the Atom feed of published entries."""

from __future__ import annotations

from xml.etree import ElementTree

import httpx
import pytest

from tests.catalog.conftest import EntryFactory, unique

ENTRIES = "/api/v1/catalog/entries"
LD = {"Accept": "application/ld+json"}
ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


class TestJsonLd:
    @pytest.mark.parametrize(
        ("kind", "schema_type", "text_property"),
        [
            ("method", "HowTo", "text"),
            ("tool", "HowTo", "text"),
            ("story", "Article", "articleBody"),
            ("practice", "CreativeWork", "text"),
        ],
    )
    async def test_each_kind_maps_to_a_schema_org_type(
        self,
        catalog: httpx.AsyncClient,
        make_entry: EntryFactory,
        kind: str,
        schema_type: str,
        text_property: str,
    ) -> None:
        entry = await make_entry(
            "published",
            kind=kind,
            title={"en": "In English", "sl": "V slovenščini"},
            body={"en": "Body", "sl": "Besedilo"},
        )

        response = await catalog.get(f"{ENTRIES}/{entry['slug']}", headers=LD)

        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/ld+json")
        document = response.json()
        assert document["@context"] == "https://schema.org"
        assert document["@type"] == schema_type
        assert document["inLanguage"] == "en"
        assert document["name"] == "In English"
        assert document[text_property] == "Body"
        assert document["identifier"] == entry["id"]
        assert document["datePublished"]
        translation = document["workTranslation"][0]
        assert translation["inLanguage"] == "sl"
        assert translation["name"] == "V slovenščini"
        assert translation["translationOfWork"] == {"@id": document["@id"]}

    async def test_the_language_follows_lang_or_accept_language(
        self, catalog: httpx.AsyncClient, make_entry: EntryFactory
    ) -> None:
        entry = await make_entry("published", title={"en": "English", "it": "Italiano"})
        path = f"{ENTRIES}/{entry['id']}"
        by_param = (await catalog.get(path, params={"lang": "it"}, headers=LD)).json()
        by_header = (await catalog.get(path, headers={**LD, "Accept-Language": "it-IT"})).json()
        assert by_param["inLanguage"] == by_header["inLanguage"] == "it"
        assert by_param["name"] == "Italiano"

    async def test_plain_json_stays_the_default(
        self, catalog: httpx.AsyncClient, make_entry: EntryFactory
    ) -> None:
        entry = await make_entry("published")
        response = await catalog.get(f"{ENTRIES}/{entry['id']}")
        assert response.headers["content-type"] == "application/json"
        assert "Accept" in response.headers["vary"]

    async def test_drafts_have_no_public_json_ld(
        self, catalog: httpx.AsyncClient, make_entry: EntryFactory
    ) -> None:
        entry = await make_entry("draft")
        assert (await catalog.get(f"{ENTRIES}/{entry['id']}", headers=LD)).status_code == 404


class TestAtomFeed:
    async def test_a_valid_atom_feed_of_published_entries(
        self, catalog: httpx.AsyncClient, make_entry: EntryFactory
    ) -> None:
        word = unique("feed")
        published = await make_entry("published", title={"en": f"Published {word}"})
        draft = await make_entry("draft", title={"en": f"Draft {word}"})

        response = await catalog.get("/api/v1/catalog/feed.atom")

        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/atom+xml")
        feed = ElementTree.fromstring(response.content)  # noqa: S314 (our own output)
        assert feed.tag == f"{ATOM}feed"
        for required in ("id", "title", "updated", "author"):
            assert feed.find(f"{ATOM}{required}") is not None, required
        entries = feed.findall(f"{ATOM}entry")
        ids = [element.findtext(f"{ATOM}id") for element in entries]
        assert f"urn:uuid:{published['id']}" in ids
        assert f"urn:uuid:{draft['id']}" not in ids
        for element in entries:
            for required in ("id", "title", "updated"):
                assert element.findtext(f"{ATOM}{required}"), required
            assert element.find(f"{ATOM}link[@rel='alternate']") is not None

    async def test_per_language_feeds(
        self, catalog: httpx.AsyncClient, make_entry: EntryFactory
    ) -> None:
        slovak = await make_entry("published", title={"sk": "Slovenský text"}, summary={}, body={})
        english = await make_entry("published", title={"en": "English text"})

        response = await catalog.get("/api/v1/catalog/feed.atom", params={"lang": "sk"})

        feed = ElementTree.fromstring(response.content)  # noqa: S314 (our own output)
        assert feed.get(XML_LANG) == "sk"
        entries = {
            element.findtext(f"{ATOM}id"): element for element in feed.findall(f"{ATOM}entry")
        }
        assert f"urn:uuid:{english['id']}" not in entries
        mine = entries[f"urn:uuid:{slovak['id']}"]
        assert mine.findtext(f"{ATOM}title") == "Slovenský text"
        assert mine.get(XML_LANG) == "sk"
