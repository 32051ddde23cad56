"""`/docs` and `/redoc` load everything from the gateway itself (an offline intranet)."""

from __future__ import annotations

import re

import httpx
import pytest

pytestmark = pytest.mark.slow
REFERENCE = re.compile(r"""(?:src|href|spec-url)\s*=\s*["']([^"']+)["']""")
TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png", ".json": "json"}


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_a_docs_page_loads_only_the_gateways_own_assets(
    gateway: httpx.AsyncClient, page: str
) -> None:
    response = await gateway.get(page)

    assert response.status_code == 200
    html = response.text
    assert "cdn.jsdelivr.net" not in html and "fonts.googleapis.com" not in html
    references = REFERENCE.findall(html) + re.findall(r"""url:\s*'([^']+)'""", html)
    assert any(reference.endswith(".js") for reference in references), references
    assert "/openapi.json" in references
    for reference in references:
        assert reference.startswith("/"), reference  # same origin
        asset = await gateway.get(reference)
        assert asset.status_code == 200, reference
        suffix = reference[reference.rfind(".") :]
        assert TYPES[suffix] in asset.headers["content-type"], reference
        if suffix == ".js":
            assert len(asset.content) > 500_000, reference  # the real bundle, not a stub


async def test_swagger_ui_asks_no_outside_validator(gateway: httpx.AsyncClient) -> None:
    assert '"validatorUrl": null' in (await gateway.get("/docs")).text
