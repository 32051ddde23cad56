"""The one CSV writer every export uses: inert cells, a BOM, CRLF (`shared/csv_export.py`)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from shared.csv_export import csv_bytes, neutralised


class TestCells:
    @pytest.mark.parametrize(
        "text",
        [
            "=1+1",
            "+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
            '   =HYPERLINK("http://evil.example")',
        ],
    )
    def test_what_a_spreadsheet_would_run_starts_with_a_quote(self, text: str) -> None:
        assert neutralised(text) == f"'{text}"

    @pytest.mark.parametrize(
        ("value", "cell"),
        [
            ("Žiga Čeč", "Žiga Čeč"),
            ("a=b", "a=b"),
            (-3.5, "-3.5"),
            (Decimal("-2"), "-2"),
            (0, "0"),
            (True, "True"),
            (None, ""),
        ],
    )
    def test_text_and_our_own_numbers_stay_as_they_are(self, value: object, cell: str) -> None:
        assert neutralised(value) == cell


class TestDocument:
    def test_utf8_with_a_bom_crlf_and_quoted_delimiters(self) -> None:
        body = csv_bytes(["name", "note"], [["Žiga Čeč", 'a, "b"\nc'], ["=x", None]])

        assert body.startswith(b"\xef\xbb\xbf")
        text = body.decode("utf-8-sig")
        assert text.splitlines(keepends=True)[0] == "name,note\r\n"
        assert list(csv.reader(io.StringIO(text, newline=""))) == [
            ["name", "note"],
            ["Žiga Čeč", 'a, "b"\nc'],
            ["'=x", ""],
        ]
