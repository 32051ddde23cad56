"""RFC 6749's `error` member on the token endpoint's refusals, beside the problem fields.

OAuth libraries read `error` (and `error_description`) from a refused token request; the
endpoint keeps its statuses (401 for bad credentials, API.md §2; 422 for a malformed form)
and its problem documents, and names the OAuth error in them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import Request
from fastapi.exceptions import RequestValidationError

from shared.problems import Unauthorized, UnprocessableContent, ValidationIssue


def _issues(exc: RequestValidationError) -> list[ValidationIssue]:
    return [
        ValidationIssue(loc=list(error["loc"]), msg=error["msg"], type=error.get("type"))
        for error in exc.errors()
    ]


async def oauth2_refusals(request: Request) -> AsyncIterator[None]:
    """A dependency of the token route: names the OAuth error of whatever refuses it."""
    form = await request.form()
    basic = request.headers.get("authorization", "").lower().startswith("basic ")
    if form.get("client_secret") or basic:
        raise Unauthorized(
            "Client authentication is not supported; send only username and password.",
            error="invalid_client",
            error_description="This server has no confidential clients.",
        )
    try:
        yield
    except RequestValidationError as exc:
        issues = _issues(exc)
        grant = any(issue.loc[-1:] == ["grant_type"] for issue in issues)
        detail = (
            "Only the password grant is supported (grant_type=password)."
            if grant
            else "Send the form fields username and password."
        )
        raise UnprocessableContent(
            detail,
            errors=issues,
            error="unsupported_grant_type" if grant else "invalid_request",
            error_description=detail,
        ) from exc
    except Unauthorized as exc:
        exc.extra.setdefault("error", "invalid_grant")
        exc.extra.setdefault("error_description", exc.detail)
        raise
