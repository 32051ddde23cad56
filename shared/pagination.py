"""Opaque, tamper-evident cursors for keyset pagination.

A cursor is the sort key of the last row a client saw, signed with HMAC so a client cannot
forge positions (a tampered cursor → 400). The signature also covers the list the cursor
belongs to (its route's path), so a cursor of one list handed to another is a 400 too,
never a position read in the wrong table. Keyset pagination over an immutable key never
repeats or skips a row that existed before the first page was read, however many rows are
written while the client pages.

A list route takes `paging: Paging` (the `limit` and `cursor` query parameters and the
settings that sign cursors), passes it to its service, which hands it to `paginate`, and
returns `paging.page(response, page)`, which adds the `Link` header of the next page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any, Generic, Protocol, TypeVar, Unpack

from fastapi import Depends, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Integer, Row, Select, bindparam, literal, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import QueryableAttribute

from shared.auth import derive_key
from shared.db import CompiledQuery, Runner, fetch_compiled
from shared.problems import BadRequest
from shared.settings import Settings

Limit = Annotated[int, Query(ge=1, le=100, description="Page size (1..100).")]
Cursor = Annotated[
    str | None, Query(max_length=512, description="`next_cursor` of the previous page.")
]
DEFAULT_LIMIT = 20
INVALID_CURSOR = "The cursor is not valid for this list; start again without one."
ItemT = TypeVar("ItemT")
AnySelect = Select[Unpack[tuple[Any, ...]]]  # noqa: UP044 (3.11 has no `*` here)


class Page(BaseModel, Generic[ItemT]):
    items: list[ItemT]
    next_cursor: str | None = None


class _HasNextCursor(Protocol):
    @property
    def next_cursor(self) -> str | None: ...


PageT = TypeVar("PageT", bound=_HasNextCursor)


@dataclass(frozen=True, slots=True)
class PageQuery:
    """What a service needs to read one page: its size, where to start, the cursor key.

    `cursor` is the client's raw (still signed) cursor; `paginate` and the services that
    keep their own positions verify it with `settings` for the list named `scope`, so a
    tampered or foreign one is a 400 there.
    """

    limit: int
    cursor: str | None
    settings: Settings
    scope: str


@dataclass(frozen=True, slots=True)
class PageRequest(PageQuery):
    """A `PageQuery` read from a request, which also knows how to finish the page."""

    request: Request = field(repr=False, compare=False)

    def page(self, response: Response, page: PageT) -> PageT:
        """`page`, with the `Link` header of the next page added to `response`."""
        link_next(self.request, response, page.next_cursor)
        return page


async def _page_request(
    request: Request, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> PageRequest:
    # async: FastAPI runs a plain `def` dependency in a worker thread on every request.
    route = request.scope.get("route")
    return PageRequest(
        limit=limit,
        cursor=cursor,
        settings=request.app.state.settings,
        scope=getattr(route, "path", request.url.path),
        request=request,
    )


Paging = Annotated[PageRequest, Depends(_page_request)]
"""The `limit` and `cursor` query parameters of a list route, with the cursor key."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(settings: Settings, scope: str, payload: bytes) -> bytes:
    key = derive_key(settings, f"cursor {scope}")
    return hmac.new(key, payload, hashlib.sha256).digest()[:16]


def encode_cursor(settings: Settings, position: dict[str, Any], *, scope: str) -> str:
    """A signed cursor for `position` in the list named `scope` (its route's path)."""
    payload = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    return f"{_b64(payload)}.{_b64(_signature(settings, scope, payload))}"


def decode_cursor(settings: Settings, cursor: str, *, scope: str) -> dict[str, Any]:
    """The position of a cursor this server signed for the list `scope`; else a 400."""
    try:
        encoded_payload, encoded_signature = cursor.split(".", 1)
        payload = _unb64(encoded_payload)
        expected = _signature(settings, scope, payload)
        if not hmac.compare_digest(expected, _unb64(encoded_signature)):
            raise ValueError("signature mismatch")
        position = json.loads(payload)
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError) as exc:
        raise BadRequest(INVALID_CURSOR) from exc
    if not isinstance(position, dict):
        raise BadRequest(INVALID_CURSOR)
    return position


def link_next(request: Request, response: Response, next_cursor: str | None) -> None:
    """Add the RFC 8288 `Link: <…>; rel="next"` header when there is a next page."""
    if next_cursor is not None:
        url = request.url.include_query_params(cursor=next_cursor)
        response.headers["Link"] = f'<{url.path}?{url.query}>; rel="next"'


_DECODERS: dict[type, Callable[[Any], Any]] = {
    datetime: datetime.fromisoformat,
    date: date.fromisoformat,
    uuid.UUID: uuid.UUID,
}


def _encode_value(value: Any) -> Any:
    if isinstance(value, date):  # a datetime too
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _decode_value(column: ColumnElement[Any], value: Any) -> Any:
    python_type = column.type.python_type
    decoder = _DECODERS.get(python_type, python_type)
    return decoder(value)


async def paginate(
    connection: AsyncConnection,
    statement: AnySelect,
    *,
    key: Sequence[QueryableAttribute[Any] | ColumnElement[Any]],
    paging: PageQuery,
    item: Callable[[Row[Any]], ItemT],
    descending: bool = False,
    context: Mapping[str, Any] | None = None,
) -> Page[ItemT]:
    """One keyset page of `statement`, ordered by `key` (which must be unique and immutable).

    `context` is what else the order depends on (a sort's seed, the instant counts are read
    as of, the filters): the cursor carries it, and a cursor read with another is a 400.
    """
    limit, cursor = paging.limit, paging.cursor
    columns = [k.expression if isinstance(k, QueryableAttribute) else k for k in key]
    if cursor is not None:
        statement = statement.where(_after(paging, cursor, columns, descending, context))
    order = [column.desc() if descending else column.asc() for column in columns]
    labels = [f"_cursor_{index}" for index in range(len(columns))]
    labelled = (column.label(name) for column, name in zip(columns, labels, strict=True))
    statement = statement.add_columns(*labelled).order_by(*order).limit(limit + 1)
    rows = (await connection.execute(statement)).all()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]._mapping
        next_cursor = encode_cursor(
            paging.settings,
            {
                "after": [_encode_value(last[name]) for name in labels],
                **({"context": dict(context)} if context is not None else {}),
            },
            scope=paging.scope,
        )
    return Page[ItemT](items=[item(row) for row in rows], next_cursor=next_cursor)


def cursor_context(paging: PageQuery) -> dict[str, Any] | None:
    """The `context` a page's cursor carries (None without a cursor, or without context)."""
    if paging.cursor is None:
        return None
    context = decode_cursor(paging.settings, paging.cursor, scope=paging.scope).get("context")
    if context is not None and not isinstance(context, dict):
        raise BadRequest(INVALID_CURSOR)
    return context


def _position(
    paging: PageQuery,
    cursor: str,
    columns: Sequence[ColumnElement[Any]],
    context: Mapping[str, Any] | None = None,
) -> list[Any]:
    """The sort key a cursor carries, as values of `columns`' types; else a 400."""
    decoded = decode_cursor(paging.settings, cursor, scope=paging.scope)
    position = decoded.get("after")
    if not isinstance(position, list) or len(position) != len(columns):
        raise BadRequest(INVALID_CURSOR)
    if decoded.get("context") != (dict(context) if context is not None else None):
        raise BadRequest(INVALID_CURSOR)
    try:
        return [
            _decode_value(column, value) for column, value in zip(columns, position, strict=True)
        ]
    except (TypeError, ValueError) as exc:
        raise BadRequest(INVALID_CURSOR) from exc


def _after(
    paging: PageQuery,
    cursor: str,
    columns: list[ColumnElement[Any]],
    descending: bool,
    context: Mapping[str, Any] | None,
) -> ColumnElement[bool]:
    position = _position(paging, cursor, columns, context)
    values = [literal(value, column.type) for column, value in zip(columns, position, strict=True)]
    if descending:
        return tuple_(*columns) < tuple_(*values)
    return tuple_(*columns) > tuple_(*values)


@dataclass(frozen=True)
class CompiledPage:
    """A keyset-paged statement compiled once (see `shared.db.CompiledQuery`): the first page
    and the pages after a cursor. Its parameters: `limit`, the cursor's `after_<n>`, and the
    statement's own."""

    first: CompiledQuery
    after: CompiledQuery
    columns: tuple[ColumnElement[Any], ...]


def compile_page(
    statement: AnySelect,
    *,
    key: Sequence[QueryableAttribute[Any] | ColumnElement[Any]],
    descending: bool = False,
) -> CompiledPage:
    columns = tuple(k.expression if isinstance(k, QueryableAttribute) else k for k in key)
    order = [column.desc() if descending else column.asc() for column in columns]
    labelled = (column.label(f"_cursor_{index}") for index, column in enumerate(columns))
    first = (
        statement.add_columns(*labelled).order_by(*order).limit(bindparam("limit", type_=Integer))
    )
    position = tuple_(
        *(bindparam(f"after_{index}", type_=column.type) for index, column in enumerate(columns))
    )
    after = first.where(tuple_(*columns) < position if descending else tuple_(*columns) > position)
    return CompiledPage(CompiledQuery(first), CompiledQuery(after), columns)


async def fetch_page(
    connection: Runner,
    query: CompiledPage,
    *,
    paging: PageQuery,
    item: Callable[[Mapping[Any, Any]], ItemT],
    **values: Any,
) -> Page[ItemT]:
    """One keyset page of a `compile_page` statement: what `paginate` answers, same cursors."""
    limit, cursor = paging.limit, paging.cursor
    if cursor is None:
        rows = await fetch_compiled(connection, query.first, limit=limit + 1, **values)
    else:
        position = _position(paging, cursor, query.columns)
        after = {f"after_{index}": value for index, value in enumerate(position)}
        rows = await fetch_compiled(connection, query.after, limit=limit + 1, **after, **values)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(
            paging.settings,
            {"after": [_encode_value(last[f"_cursor_{i}"]) for i in range(len(query.columns))]},
            scope=paging.scope,
        )
    return Page[ItemT](items=[item(row) for row in rows], next_cursor=next_cursor)
