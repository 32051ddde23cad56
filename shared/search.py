"""What a search looks for: its words, how widely they match, and the tsquery groups.

Each word becomes an OR of its forms under the three text-search configurations (plain
unaccented for sl/hr/sk, and the English and Italian stemmers), and words are ANDed: the
database function `<schema>.search_query` (each schema's migrations create it) builds that
tsquery from `Search.groups`, so statements are compiled once with the words as parameters.
Words are matched at the narrowest `Level` that finds enough: whole words first, then the
last word as a prefix (the user may still be typing it), then, for every word of four
letters or more, also the known words it may be a typo of (`<schema>.search_corrections`:
similar by trigrams, or an edit or two away), so a typo in any word still finds what was
meant.

The catalog (entries) and participation (proposals) search this one way.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from enum import IntEnum

from shared.i18n import LANGUAGES

WORD = re.compile(r"[^\W_]+")
MAX_WORDS = 8
TYPO_MIN_LENGTH = 4


def fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


class Level(IntEnum):
    """How widely words match; higher is narrower. Kept in the cursor, so pages agree."""

    TYPO = 0  # PREFIX, or a word replaced by a known word it may be a typo of
    PREFIX = 1  # whole words, the last one as a prefix
    EXACT = 2  # whole (stemmed) words only


@dataclass(frozen=True)
class Search:
    words: tuple[str, ...]
    level: Level = Level.PREFIX
    # Per longer (folded) word, the title words similar to it: used at the TYPO level.
    corrections: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def parse(cls, q: str | None) -> Search | None:
        """None when `q` has no word to search for."""
        words = tuple(word.lower() for word in WORD.findall(q or ""))[:MAX_WORDS]
        return cls(words) if words else None

    def at(self, level: Level) -> Search:
        return Search(self.words, level, self.corrections)

    def corrected(self, corrections: dict[str, tuple[str, ...]]) -> Search:
        return Search(self.words, self.level, corrections)

    @property
    def levels(self) -> tuple[Level, ...]:
        """The levels worth trying, narrowest first."""
        widest = (Level.TYPO,) if self.typo_words else ()
        return (Level.EXACT, Level.PREFIX, *widest)

    def _is_prefix(self, index: int) -> bool:
        return self.level < Level.EXACT and index == len(self.words) - 1

    def _terms(self, index: int, word: str, *, typo: bool) -> list[str]:
        terms = [f"{word}:*" if self._is_prefix(index) else word]
        if typo and len(word) >= TYPO_MIN_LENGTH:
            terms += self.corrections.get(fold(word), ())
        return terms

    def groups(self, *, typo: bool = False) -> list[str]:
        """What `catalog.search_query` ANDs: per word, its terms separated by spaces.

        With `typo`, each longer word may also be one of its corrections.
        """
        return [
            " ".join(self._terms(index, word, typo=typo)) for index, word in enumerate(self.words)
        ]

    @property
    def typo_words(self) -> list[str]:
        return [fold(word) for word in self.words if len(word) >= TYPO_MIN_LENGTH]


def language_order(preferred: str | None) -> list[str]:
    """The languages a match is looked for in: the preferred one first."""
    return [*([preferred] if preferred else []), *(code for code in LANGUAGES if code != preferred)]
