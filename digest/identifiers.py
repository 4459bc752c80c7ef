"""arXiv ids, DOIs and title keys: how records of one work are recognised across sources."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "ArxivId",
    "find_arxiv_id",
    "normalise_doi",
    "normalise_title",
    "parse_arxiv_id",
]

# New-style ids (2007 on): YYMM.NNNN (to 2014) or YYMM.NNNNN, optional version.
_NEW_STYLE = r"(?P<new>\d{2}(?:0[1-9]|1[0-2])\.\d{4,5})"
# Old-style ids: archive(.SUBJ)/YYMMNNN, e.g. hep-th/9901001, math.GT/0309136.
_OLD_STYLE = r"(?P<old>[a-z][a-z-]*(?:\.[A-Z]{2})?/\d{2}(?:0[1-9]|1[0-2])\d{3})"
_VERSION = r"(?:v(?P<version>\d{1,3}))?"
_ARXIV_ID = re.compile(rf"^(?:arxiv:)?(?:{_NEW_STYLE}|{_OLD_STYLE}){_VERSION}$", re.IGNORECASE)
_ARXIV_ID_IN_TEXT = re.compile(
    rf"(?<![\w.])(?:arxiv:)?(?:{_NEW_STYLE}|{_OLD_STYLE}){_VERSION}(?![\w/])", re.IGNORECASE
)
_DOI = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)?(10\.\d{4,9}/\S+)$", re.IGNORECASE)


@dataclass(frozen=True, kw_only=True, slots=True)
class ArxivId:
    base: str
    version: int | None = None

    def __str__(self) -> str:
        return f"{self.base}v{self.version}" if self.version else self.base


def _from_match(match: re.Match[str]) -> ArxivId:
    base = match.group("new") or match.group("old")
    if match.group("old"):
        archive, number = base.split("/", 1)
        # The archive is lower case, but a subject class keeps its capitals (math.GT).
        head, _, subject = archive.partition(".")
        base = (
            f"{head.lower()}.{subject.upper()}/{number}" if subject else f"{head.lower()}/{number}"
        )
    version = match.group("version")
    return ArxivId(base=base, version=int(version) if version else None)


def parse_arxiv_id(text: str) -> ArxivId | None:
    """Parse a bare arXiv id (``2401.12345v2``, ``arXiv:hep-th/9901001``); None if it is not one."""
    match = _ARXIV_ID.match(text.strip())
    return _from_match(match) if match else None


def find_arxiv_id(text: str) -> ArxivId | None:
    """Find the first arXiv id inside a longer string, such as an abs/pdf URL or an OAI id."""
    match = _ARXIV_ID_IN_TEXT.search(text)
    return _from_match(match) if match else None


def normalise_doi(text: str | None) -> str | None:
    if not text:
        return None
    match = _DOI.match(text.strip())
    return match.group(1).lower() if match else None


_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalise_title(title: str) -> str:
    """A key under which the same title from two sources compares equal.

    Case, accents, punctuation and spacing are dropped: "Mixture-of-Experts" from one source
    and "Mixture of Experts" from another are the same work.
    """
    decomposed = unicodedata.normalize("NFKD", title)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", stripped.casefold()).strip()
