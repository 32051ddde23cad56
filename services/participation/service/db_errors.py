"""Reading which database guarantee refused a write."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError

EXCLUSION_VIOLATION = "23P01"
UNIQUE_VIOLATION = "23505"
CHECK_VIOLATION = "23514"


def violated(exc: DBAPIError, sqlstate: str) -> str | None:
    """The constraint name when `exc` is a violation of kind `sqlstate`, else None."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) != sqlstate:
        return None
    driver_error = getattr(orig, "__cause__", None)
    name = getattr(driver_error, "constraint_name", None)
    return name if isinstance(name, str) else ""
