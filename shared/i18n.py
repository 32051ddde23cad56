"""Translatable text: an object keyed by language code, at least one known language."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field

LANGUAGES = ("sl", "en", "hr", "sk", "it")


class Language(StrEnum):
    SL = "sl"
    EN = "en"
    HR = "hr"
    SK = "sk"
    IT = "it"


def _not_blank(value: dict[Language, str]) -> dict[Language, str]:
    if any(not text.strip() for text in value.values()):
        raise ValueError("translations must not be blank")
    return value


Translations = Annotated[
    dict[Language, Annotated[str, Field(max_length=100_000)]],
    Field(min_length=1, description="Text keyed by language code (sl, en, hr, sk, it)."),
    AfterValidator(_not_blank),
]


def pick(text: dict[str, str], preferred: str | None) -> str:
    """The text in the preferred language, else English, else Slovenian, else any."""
    for language in (preferred, "en", "sl"):
        if language and language in text:
            return text[language]
    return next(iter(text.values()), "")
