"""Checks against the catalog service over HTTP: challenge codes and entry ids.

A missing code or entry is the caller's mistake (422); a catalog that is down or failing
is ours (503), and then nothing is saved because the check runs before any write.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable, Mapping

import httpx

from shared.peers import tracing_headers
from shared.problems import ServiceUnavailable, UnprocessableContent, ValidationIssue

PEER = "catalog"


async def _get(client: httpx.AsyncClient, path: str, authorization: str | None) -> httpx.Response:
    headers = tracing_headers()
    if authorization is not None:  # unpublished entries are visible only with credentials
        headers["authorization"] = authorization
    try:
        response = await client.get(path, headers=headers)
    except httpx.TimeoutException as exc:
        raise ServiceUnavailable("The catalog service did not answer in time.") from exc
    except httpx.TransportError as exc:
        raise ServiceUnavailable("The catalog service is unavailable.") from exc
    if response.status_code >= 500:
        raise ServiceUnavailable("The catalog service is unavailable.")
    return response


async def check_challenge(client: httpx.AsyncClient, challenge: str) -> None:
    response = await _get(client, "/api/v1/catalog/taxonomy", None)
    if response.status_code != 200:
        raise ServiceUnavailable("The catalog's taxonomy could not be read.")
    codes = {term.get("code") for term in response.json().get("challenges", [])}
    if challenge not in codes:
        raise UnprocessableContent(
            f"{challenge!r} is not a challenge of the catalog taxonomy.",
            errors=[ValidationIssue(loc=["body", "challenge"], msg="unknown challenge")],
        )


async def check_entries(
    client: httpx.AsyncClient,
    references: Mapping[str, Iterable[uuid.UUID]],
    authorization: str | None,
) -> None:
    """Each field's entry ids must exist in the catalog (checked concurrently)."""
    wanted = [
        (field, index, entry_id)
        for field, ids in references.items()
        for index, entry_id in enumerate(ids)
    ]
    responses = await asyncio.gather(
        *(
            _get(client, f"/api/v1/catalog/entries/{entry_id}", authorization)
            for *_, entry_id in wanted
        )
    )
    issues = [
        ValidationIssue(loc=["body", field, index], msg=f"no catalog entry {entry_id}")
        for (field, index, entry_id), response in zip(wanted, responses, strict=True)
        if not response.is_success
    ]
    if issues:
        raise UnprocessableContent("Some catalog entries do not exist.", errors=issues)
