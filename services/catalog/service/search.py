"""The search expression: one query over all five languages, accent- and case-insensitive.

Each word becomes an OR of its forms under the three text-search configurations (plain
unaccented for sl/hr/sk, and the English and Italian stemmers), and words are ANDed. Words
are matched at the narrowest `Level` that finds enough entries: whole words first, then the
last word as a prefix (the user may still be typing it), then, for longer words, also the
title words most similar to them by trigrams (`catalog.title_words`), so one typo still
finds the entry. Each level is its own index-backed query: an OR of a trigram and a
full-text condition could use neither index.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from functools import reduce
from typing import Any

from sqlalchemy import ColumnElement, Double, and_, case, cast, func, literal, literal_column, or_

from services.catalog.models import Entry
from services.catalog.text import MARK_END, MARK_START
from shared.i18n import LANGUAGES

CONFIGS = {
    "sl": "catalog.magnet_unaccent",
    "hr": "catalog.magnet_unaccent",
    "sk": "catalog.magnet_unaccent",
    "en": "catalog.magnet_english",
    "it": "catalog.magnet_italian",
}
QUERY_CONFIGS = ("catalog.magnet_unaccent", "catalog.magnet_english", "catalog.magnet_italian")
WORD = re.compile(r"[^\W_]+")
MAX_WORDS = 8
TYPO_MIN_LENGTH = 5
# Full-text matches rank 1 + ts_rank over title (A) and summary (B): a title hit ~1.6, a
# summary hit ~1.24, a body-only hit 1. A typo-only match ranks below 1, under all of them.
FULL_TEXT_RANK_BASE = 1.0
HEADLINE_OPTIONS = (
    f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=24, MinWords=10, "
    'MaxFragments=2, FragmentDelimiter=" … "'
)


def _regconfig(name: str) -> ColumnElement[str]:
    return literal_column(f"'{name}'::regconfig")


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _or(queries: Sequence[ColumnElement[str]]) -> ColumnElement[str]:
    return reduce(lambda left, right: left.op("||")(right), queries)


def _and(queries: Sequence[ColumnElement[str]]) -> ColumnElement[str]:
    return reduce(lambda left, right: left.op("&&")(right), queries)


class Level(IntEnum):
    """How widely words match; higher is narrower. Kept in the cursor, so pages agree."""

    TYPO = 0  # PREFIX, or a longer word replaced by a title word similar to it
    PREFIX = 1  # whole words, the last one as a prefix
    EXACT = 2  # whole (stemmed) words only


@dataclass(frozen=True)
class Search:
    words: tuple[str, ...]
    level: Level = Level.PREFIX
    # Per longer (folded) word, the title words similar to it: used at the TYPO level.
    corrections: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # A column holding the (corrected) tsquery, set by `using`: a statement then builds the
    # query once and refers to it, instead of repeating a tree of to_tsquery calls per use.
    query: ColumnElement[Any] | None = field(default=None, compare=False)

    @classmethod
    def parse(cls, q: str | None) -> Search | None:
        """None when `q` has no word to search for."""
        words = tuple(word.lower() for word in WORD.findall(q or ""))[:MAX_WORDS]
        return cls(words) if words else None

    def at(self, level: Level) -> Search:
        return Search(self.words, level, self.corrections)

    def corrected(self, corrections: dict[str, tuple[str, ...]]) -> Search:
        return Search(self.words, self.level, corrections)

    def using(self, query: ColumnElement[Any]) -> Search:
        """This search matching `query`: a column with its `tsquery` or `corrected_tsquery`."""
        return Search(self.words, self.level, self.corrections, query)

    @property
    def levels(self) -> tuple[Level, ...]:
        """The levels worth trying, narrowest first."""
        widest = (Level.TYPO,) if self.typo_words else ()
        return (Level.EXACT, Level.PREFIX, *widest)

    def _word_query(self, word: str, prefix: bool) -> ColumnElement[str]:
        term = f"{word}:*" if prefix else word
        return _or([func.to_tsquery(_regconfig(config), term) for config in QUERY_CONFIGS])

    def _is_prefix(self, index: int) -> bool:
        return self.level < Level.EXACT and index == len(self.words) - 1

    @property
    def tsquery(self) -> ColumnElement[Any]:
        if self.query is not None:
            return self.query
        return _and(
            [
                self._word_query(word, self._is_prefix(index))
                for index, word in enumerate(self.words)
            ]
        )

    @property
    def typo_words(self) -> list[str]:
        return [_fold(word) for word in self.words if len(word) >= TYPO_MIN_LENGTH]

    @property
    def full_text_match(self) -> ColumnElement[bool]:
        return Entry.search_vector.op("@@")(self.tsquery)

    @property
    def full_text_rank(self) -> ColumnElement[float]:
        """Title (A) above summary (B) above a match in the body alone."""
        rank = func.ts_rank(Entry.rank_vector, self.tsquery)
        return cast(literal(FULL_TEXT_RANK_BASE, Double) + cast(rank, Double), Double)

    @property
    def corrected_tsquery(self) -> ColumnElement[Any]:
        if self.query is not None:
            return self.query
        queries = []
        for index, word in enumerate(self.words):
            query = self._word_query(word, self._is_prefix(index))
            similar = self.corrections.get(_fold(word), ()) if len(word) >= TYPO_MIN_LENGTH else ()
            queries.append(_or([query, *(self._word_query(other, False) for other in similar)]))
        return _and(queries)

    @property
    def typo_match(self) -> ColumnElement[bool]:
        """Like the full-text match, with each longer word also matched by its corrections."""
        return Entry.search_vector.op("@@")(self.corrected_tsquery)

    @property
    def typo_rank(self) -> ColumnElement[float]:
        """In [0, 0.5): below every full-text match, still title above summary above body."""
        rank = cast(func.ts_rank(Entry.rank_vector, self.corrected_tsquery), Double)
        return cast(rank / (literal(1.0, Double) + rank), Double)

    def language_text(self, language: str, *, body: bool = True) -> ColumnElement[str]:
        columns = (Entry.title, Entry.summary, Entry.body) if body else (Entry.title, Entry.summary)
        fields = [func.coalesce(column[language].astext, "") for column in columns]
        return reduce(lambda left, right: left + " " + right, fields)

    def matches_text(self, language: str, text: ColumnElement[str]) -> ColumnElement[bool]:
        vector = func.to_tsvector(_regconfig(CONFIGS[language]), text)
        return vector.op("@@")(self.corrected_tsquery)

    def matched_language(self, preferred: str | None) -> ColumnElement[str | None]:
        """The first language (the preferred one first) whose text matches the query."""
        order = [preferred] if preferred else []
        order += [language for language in LANGUAGES if language != preferred]
        # Most matches are in the short title and summary: only the others read the body.
        full_text = [
            (
                and_(
                    Entry.title.has_key(language),
                    or_(
                        self.matches_text(language, self.language_text(language, body=False)),
                        self.matches_text(language, self.language_text(language)),
                    ),
                ),
                literal(language),
            )
            for language in order
        ]
        typo = [
            (
                and_(
                    *(
                        literal(word).op("<%")(
                            func.catalog.immutable_unaccent(
                                func.lower(Entry.title[language].astext)
                            )
                        )
                        for word in self.typo_words
                    )
                ),
                literal(language),
            )
            for language in order
            if self.typo_words
        ]
        return case(*full_text, *typo, else_=None)

    def headline(self, language: str, text: ColumnElement[str]) -> ColumnElement[str]:
        return func.ts_headline(
            _regconfig(CONFIGS[language]), text, self.corrected_tsquery, HEADLINE_OPTIONS
        )
