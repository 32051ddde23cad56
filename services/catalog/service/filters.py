"""The filters of a list or search, as named conditions with bind parameters.

A filter's condition depends only on its name, its value is a parameter: a search compiles
each combination of filters once (see `statements`) and passes the values to it; a list
binds them with `Select.params`.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import ColumnElement, String, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY

from services.catalog import schemas
from services.catalog.models import Entry

Status = schemas.EntryStatus
_CODES = ARRAY(String(40))
_WORDS = ARRAY(String)

CONDITIONS: dict[str, Callable[[], ColumnElement[bool]]] = {
    # Unpublished entries do not exist for the public: asking for them finds nothing.
    "published": lambda: Entry.status == Status.PUBLISHED.value,
    "statuses": lambda: Entry.status == any_(bindparam("statuses", type_=_WORDS)),
    "kinds": lambda: Entry.kind == any_(bindparam("kinds", type_=_WORDS)),
    # Tags narrow: an entry must carry every block, challenge and city asked for.
    "blocks": lambda: Entry.innovation_blocks.contains(bindparam("blocks", type_=_CODES)),
    "challenges": lambda: Entry.challenges.contains(bindparam("challenges", type_=_CODES)),
    "cities": lambda: Entry.cities.contains(bindparam("cities", type_=_CODES)),
    "lang": lambda: Entry.title.has_key(bindparam("lang", type_=String)),
}


def conditions(names: tuple[str, ...]) -> list[ColumnElement[bool]]:
    return [CONDITIONS[name]() for name in names]
