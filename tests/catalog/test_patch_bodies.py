"""The body of a catalog PATCH: the media types, JSON and shape every service accepts."""

from __future__ import annotations

import httpx
import pytest

from tests.catalog.conftest import EntryFactory, Headers
from tests.merge_patch_contract import MergePatchBodyContract, Patchable


@pytest.fixture
async def patchable(
    catalog: httpx.AsyncClient, editor: Headers, make_entry: EntryFactory
) -> Patchable:
    entry = await make_entry()
    return Patchable(
        client=catalog,
        url=f"/api/v1/catalog/entries/{entry['id']}",
        headers=editor,
        etag=f'"v{entry["version"]}"',
        text_patch=lambda text: {"summary": {"en": text}},
    )


class TestMergePatchBodies(MergePatchBodyContract):
    pass
