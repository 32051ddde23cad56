"""`/docs` and `/redoc` load everything from the gateway itself (an offline intranet)."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess

import httpx
import pytest

from tests.stack import Stack

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


def render(url: str) -> str:
    """The page's DOM after Debian's Chromium ran its scripts, with no host but this one."""
    chromium = shutil.which("chromium")
    assert chromium is not None, "install Debian's chromium (.ci/run does)"
    result = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            # An intranet without Internet: every name but the gateway's fails to resolve.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--virtual-time-budget=20000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


async def test_the_pages_render_in_a_browser_without_internet(stack: Stack) -> None:
    swagger = await asyncio.to_thread(render, f"{stack.gateway_url}/docs")
    redoc = await asyncio.to_thread(render, f"{stack.gateway_url}/redoc")

    # Swagger UI drew a block per operation; ReDoc a menu entry per operation.
    assert swagger.count('class="opblock-summary-path"') > 50
    assert "/api/v1/participation/events/{event_id}/registrations" in swagger
    assert redoc.count("/operation/") > 50
    assert "Register: confirmed while seats remain" in redoc
