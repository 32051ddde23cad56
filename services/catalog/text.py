"""Pure text helpers: slugs from titles, JSON Merge Patch, snippet markup."""

from __future__ import annotations

import html
import re
import unicodedata

# Letters that do not decompose into a base letter and a combining mark.
_FOLDED = str.maketrans(
    {"đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "ß": "ss", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O"}
)
SLUG_MAX_LENGTH = 120


def slugify(text: str) -> str:
    """`Towns' Living Room, Košice` → `towns-living-room-kosice` (empty when nothing is left)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLDED))
    ascii_text = "".join(char for char in decomposed if not unicodedata.combining(char))
    ascii_text = ascii_text.lower().replace("'", "").replace("’", "")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    return slug[:SLUG_MAX_LENGTH].rstrip("-")


MARK_START, MARK_END = "\x02", "\x03"


def marked_snippet(headline: str) -> str:
    """Escape a ts_headline made with control-character markers, then mark matches in HTML."""
    escaped = html.escape(" ".join(headline.split()), quote=False)
    return escaped.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
