"""The catalog's search: `shared.search` parses it; here, how snippets are marked.

What a search looks for: its words, how widely they match, and the tsquery groups.

Each word becomes an OR of its forms under the three text-search configurations (plain
unaccented for sl/hr/sk, and the English and Italian stemmers), and words are ANDed: the
database function `catalog.search_query` builds that tsquery from `Search.groups`, so the
statements are compiled once with the words as parameters. Words are matched at the
narrowest `Level` that finds enough entries: whole words first, then the last word as a
prefix (the user may still be typing it), then, for every word of four letters or more,
also the known words it may be a typo of (`catalog.search_words`: every word of the
entries' texts and tag names; similar by trigrams, or an edit or two away), so a typo in
any word still finds the entry. Each level is its own index-backed query: an OR of a
trigram and a full-text condition could use neither index.
"""

from __future__ import annotations

from services.catalog.text import MARK_END, MARK_START
from shared.search import Level, Search, language_order

__all__ = ["HEADLINE_OPTIONS", "Level", "Search", "language_order"]

HEADLINE_OPTIONS = (
    f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=24, MinWords=10, "
    'MaxFragments=2, FragmentDelimiter=" … "'
)
