"""CSV files that spreadsheets open safely and readably: every export goes through here.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return — also after leading
spaces, which Excel and LibreOffice skip — is a formula to a spreadsheet, so text such as
`=HYPERLINK(…)` or `+cmd|' /C calc'!A0` would run when the file is opened. Such a cell is
prefixed with a single quote, as OWASP's "CSV Injection" guidance advises; cells holding
delimiters or quotes are quoted by the csv module. Numbers we write ourselves stay numbers
(a negative actual is not a formula). The file is UTF-8 with a byte order mark, the one
signal that makes Excel read UTF-8 ("Žiga Čeč", not "Å½iga ÄŒeÄ"), with CRLF line ends
(RFC 4180).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

from starlette.responses import Response

MEDIA_TYPE = "text/csv; charset=utf-8"
BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value: object) -> str:
    """The cell's text, made inert if a spreadsheet would read it as a formula."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    return f"'{text}" if text.lstrip(" ").startswith(FORMULA_STARTS) else text


def csv_bytes(header: Sequence[str], rows: Iterable[Iterable[object]]) -> bytes:
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralised(name) for name in header])
    writer.writerows([neutralised(value) for value in row] for row in rows)
    return buffer.getvalue().encode()


def csv_response(
    header: Sequence[str],
    rows: Iterable[Iterable[object]],
    *,
    filename: str,
    private: bool = False,
) -> Response:
    """An attachment download; `private` ones (personal data) are never cached."""
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if private:
        headers["Cache-Control"] = "no-store"
    return Response(csv_bytes(header, rows), media_type=MEDIA_TYPE, headers=headers)
