"""Author names compared the way people write them (pure).

"Yann LeCun", "Y. LeCun", "LeCun, Yann", "LeCun Y." and "yann lecun" are one person;
"José Hernández-Orallo" is matched by "Jose Hernandez-Orallo" and "J. Hernández-Orallo";
"Jean-Pierre Dupont" by "J.-P. Dupont" and "JP Dupont". A family name alone matches
everyone with that family name (the follower's choice); given names that disagree never
match ("Anna Smith" is not "Alan Smith").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["AuthorName", "any_author_matches", "author_matches", "parse_author"]

_PARTICLES = frozenset({"van", "von", "der", "den", "de", "del", "della", "da", "di", "le", "la"})
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})
_SPELLED: dict[str, str | int | None] = {"ß": "ss", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L"}
_INITIALS = r"(?:[A-Z]\.?-?){1,3}"


@dataclass(frozen=True, slots=True)
class AuthorName:
    """A name as family-name words and given-name parts (each part: full word or initial)."""

    family: tuple[str, ...]
    given: tuple[str, ...]


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # ß, ø, ł and friends have no decomposition: spell them as people type them.
    stripped = stripped.translate(str.maketrans(_SPELLED))
    return stripped.casefold()


def _given_parts(text: str) -> tuple[str, ...]:
    """ "Jean-Pierre" -> (jean, pierre); "J.-P." -> (j, p); "JP" -> (j, p); "J.P." -> (j, p)."""
    parts: list[str] = []
    for word in re.split(r"[\s.\-]+", text):
        if not word:
            continue
        # Capital-letter runs like "JP" are initials (checked before folding the case).
        if len(word) <= 3 and word.isupper() and word.isalpha():
            parts.extend(_fold(ch) for ch in word)
        else:
            folded = re.sub(r"[^\w]", "", _fold(word))
            if folded:
                parts.append(folded)
    return tuple(parts)


def _family_words(text: str) -> tuple[str, ...]:
    return tuple(w for w in re.split(r"[\s\-']+", re.sub(r"[^\w\s\-']", "", _fold(text))) if w)


@lru_cache(maxsize=65_536)
def parse_author(name: str) -> AuthorName:
    """Split a written name into family and given names ("Last, First" or "First Last";
    a trailing run of initials, as in "LeCun Y.", is taken as the given names)."""
    name = " ".join(name.split())
    if "," in name:
        family, _, given = name.partition(",")
        words = [w for w in given.split() if _fold(w).strip(".") not in _SUFFIXES]
        return AuthorName(_family_words(family), _given_parts(" ".join(words)))
    words = [w for w in name.split() if _fold(w).strip(".") not in _SUFFIXES]
    if not words:
        return AuthorName((), ())
    # "LeCun Y." / "Hinton G. E.": family first, initials after.
    tail = len(words)
    while tail > 1 and re.fullmatch(_INITIALS, words[tail - 1]):
        tail -= 1
    if tail < len(words) and tail >= 1 and not re.fullmatch(_INITIALS, words[0]):
        return AuthorName(
            _family_words(" ".join(words[:tail])), _given_parts(" ".join(words[tail:]))
        )
    # "First [Middle] [van der] Last": the family name is the last word and its particles.
    start = len(words) - 1
    while start > 1 and _fold(words[start - 1]) in _PARTICLES:
        start -= 1
    return AuthorName(_family_words(" ".join(words[start:])), _given_parts(" ".join(words[:start])))


def _given_agree(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Given names agree when each part pairs with the other's, in order, as equal words or
    as an initial and a word starting with it; a missing middle name is no disagreement."""
    if not a or not b:
        return True
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    position = 0
    for part in short:
        while position < len(long):
            other = long[position]
            position += 1
            if part == other or ((len(part) == 1 or len(other) == 1) and part[0] == other[0]):
                break
            if position == 1:  # the first given names must agree
                return False
        else:
            return False
    return True


def author_matches(written: str, wanted: str) -> bool:
    """Whether the paper's author ``written`` is the person a follower named ``wanted``."""
    have, want = parse_author(written), parse_author(wanted)
    if not want.family or not have.family:
        return False
    joined_have, joined_want = "".join(have.family), "".join(want.family)
    if joined_have != joined_want:
        # A family name alone may be its last word ("Hernández" for "Hernández-Orallo" no,
        # but "Gogh" for "van Gogh" yes): particles are optional.
        core_have = "".join(w for w in have.family if w not in _PARTICLES)
        core_want = "".join(w for w in want.family if w not in _PARTICLES)
        if not core_have or core_have != core_want:
            return False
    return _given_agree(have.given, want.given)


def any_author_matches(authors: Iterable[str], wanted: str) -> bool:
    return any(author_matches(a, wanted) for a in authors)
