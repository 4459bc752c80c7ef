"""Tokens for lexical matching: lower-cased words, a light suffix stemmer, no stop words."""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["STOP_WORDS", "stem", "tokenize"]

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "for",
        "from",
        "has",
        "have",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "our",
        "that",
        "the",
        "their",
        "these",
        "this",
        "those",
        "to",
        "via",
        "was",
        "we",
        "were",
        "which",
        "while",
        "with",
        "within",
        "without",
        "using",
        "based",
        "new",
        "paper",
        "propose",
        "proposed",
        "show",
        "shows",
        "study",
        "approach",
        "method",
        "methods",
        "results",
    ]
)
_SUFFIXES = (
    "ization",
    "isation",
    "ations",
    "ation",
    "ments",
    "ment",
    "ings",
    "ing",
    "ies",
    "ers",
    "er",
    "ed",
    "es",
    "s",
)


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """A deliberately small stemmer: enough that policy/policies and learn/learning meet."""
    if len(word) <= 4 or word.isdigit():
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            base = word[: -len(suffix)]
            return base + "y" if suffix == "ies" else base
    return word


def tokenize(text: str, *, keep_stop_words: bool = False) -> list[str]:
    words = _WORD.findall(text.lower().replace("-", " "))
    return [stem(w) for w in words if keep_stop_words or w not in STOP_WORDS]
