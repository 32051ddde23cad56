"""Reading which database guarantee refused a write, to answer with the right problem."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError

EXCLUSION_VIOLATION = "23P01"
UNIQUE_VIOLATION = "23505"
CHECK_VIOLATION = "23514"


def constraint_name(exc: DBAPIError) -> str | None:
    """The name of the constraint the driver reported, if any."""
    driver_error = getattr(exc.orig, "__cause__", None)
    name = getattr(driver_error, "constraint_name", None) or getattr(
        exc.orig, "constraint_name", None
    )
    return name if isinstance(name, str) else None


def violated(exc: DBAPIError, sqlstate: str) -> str | None:
    """The constraint name when `exc` is a violation of kind `sqlstate`, else None."""
    if getattr(exc.orig, "sqlstate", None) != sqlstate:
        return None
    return constraint_name(exc) or ""
