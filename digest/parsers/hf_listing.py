"""The Hugging Face Daily Papers page as text (copied from a browser or a text dump).

The format, as seen in real pages::

    new / Get trending papers in your email inbox! / Subscribe / Daily Papers /
    byAK and the research community / Oct 30            <- page header and date
    <title>
    <abstract paragraph>
      • 4 authors          (or an organisation line: "amazon Amazon")
    ·
    Jun 9, 2023 2          (a date, with or without year, optionally an upvote count)

Pages vary: blank lines between entries may be missing, "Subscribe" may be glued to the
first title, and metadata lines may be missing for some or all entries. The parser therefore
classifies lines rather than relying on blank-line paragraphs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from digest.errors import SourceError
from digest.models import Paper
from digest.parsers.common import clean_text, decode

__all__ = ["looks_like_hf_listing", "parse_hf_listing"]

SOURCE = "hf-listing"

_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
        start=1,
    )
}
_DATE_LINE = re.compile(
    r"^(?P<month>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+(?P<day>\d{1,2})"
    r"(?:,\s*(?P<year>\d{4}))?(?:\s+(?P<upvotes>\d{1,7}))?$",
    re.IGNORECASE,
)
_AUTHORS_LINE = re.compile(r"^[•·\-*]?\s*(?P<count>\d{1,5})\s+authors?$", re.IGNORECASE)
_SEPARATOR = {"·", "•", "-", "–"}
_BOILERPLATE = (
    "new",
    "get trending papers in your email inbox!",
    "subscribe",
    "daily papers",
    "byak and the research community",
)
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*$")
# A title is one line; an abstract runs to hundreds of characters. Titles stay well below this.
_MAX_TITLE = 300
_MIN_ABSTRACT = 40


@dataclass(kw_only=True, slots=True)
class _Entry:
    title: str
    abstract_lines: list[str] = field(default_factory=list)
    author_count: int | None = None
    organization: str | None = None
    published: date | None = None
    upvotes: int | None = None
    has_metadata: bool = False


def _strip_header(line: str) -> str:
    """Remove boilerplate glued to the start of a line ("SubscribeDaily Papers...")."""
    changed = True
    while changed:
        changed = False
        for word in ("Subscribe", "Daily Papers", "byAK and the research community"):
            if line.startswith(word) and len(line) > len(word):
                line = line[len(word) :].strip()
                changed = True
    return line


def _parse_date(match: re.Match[str], page_year: int | None) -> date | None:
    year = int(match.group("year")) if match.group("year") else page_year
    if year is None:
        return None
    try:
        return date(year, _MONTHS[match.group("month")[:3].lower()], int(match.group("day")))
    except ValueError:
        return None


def _is_title_like(line: str) -> bool:
    return len(line) <= _MAX_TITLE and not line.endswith(".")


def _ends_abstract(line: str) -> bool:
    # A sentence end, or a whole unwrapped paragraph on one line, closes an abstract.
    return bool(_SENTENCE_END.search(line)) or len(line) > _MAX_TITLE


def looks_like_hf_listing(text: str) -> bool:
    """Whether plain text carries the page's header or metadata markers."""
    head = text[:2000].lower()
    if "daily papers" in head and ("byak" in head or "subscribe" in head):
        return True
    lines = [ln.strip() for ln in text.splitlines()]
    return sum(1 for ln in lines if _AUTHORS_LINE.match(ln) or ln == "·") >= 2


def parse_hf_listing(
    data: bytes, *, page_year: int | None = None, source: str = SOURCE
) -> list[Paper]:
    """Papers from a Daily Papers page text. ``page_year`` dates entries shown without a year.

    Raises SourceError when no title/abstract pair can be found.
    """
    text = decode(data, source)
    lines = [clean_text(raw) for raw in text.splitlines()]
    entries: list[_Entry] = []
    current: _Entry | None = None
    in_header = True
    pending_org: str | None = None

    for index, line in enumerate(lines):
        if not line:
            continue
        if in_header:
            line = _strip_header(line)
            if line.lower() in _BOILERPLATE:
                continue
            date_match = _DATE_LINE.match(line)
            if date_match:  # the page's own date ("Oct 30"), before any entry
                continue
        if line in _SEPARATOR:
            if current is not None:
                current.has_metadata = True
                if pending_org:
                    current.organization = pending_org
            pending_org = None
            continue
        authors = _AUTHORS_LINE.match(line)
        if authors and current is not None and current.abstract_lines:
            current.author_count = int(authors.group("count"))
            current.has_metadata = True
            continue
        date_match = _DATE_LINE.match(line)
        if date_match and current is not None and current.abstract_lines:
            current.published = _parse_date(date_match, page_year)
            if date_match.group("upvotes"):
                current.upvotes = int(date_match.group("upvotes"))
            current.has_metadata = True
            continue
        next_line = next((ln for ln in lines[index + 1 :] if ln), "")
        if (
            current is not None
            and current.abstract_lines
            and not current.has_metadata
            and next_line in _SEPARATOR
            and len(line) <= 120
        ):
            # An organisation line ("amazon Amazon") stands right before the "·" separator.
            pending_org = line.split(" ", 1)[-1] if " " in line else line
            continue
        in_header = False
        if current is None or current.has_metadata:
            current = _Entry(title=line)
            entries.append(current)
        elif not current.abstract_lines:
            # Every entry has an abstract: the line after a title is its abstract.
            current.abstract_lines.append(line)
        elif _is_title_like(line) and _ends_abstract(current.abstract_lines[-1]):
            # The abstract before is complete and this line reads like a title:
            # a new entry (the previous one had no metadata lines).
            current = _Entry(title=line)
            entries.append(current)
        else:
            current.abstract_lines.append(line)  # a wrapped abstract continues

    papers = [_to_paper(entry, source) for entry in entries if entry.abstract_lines]
    papers = [p for p in papers if len(p.abstract) >= _MIN_ABSTRACT]
    if not papers:
        raise SourceError(source, "no paper (a title followed by an abstract) found in the text")
    return papers


def _to_paper(entry: _Entry, source: str) -> Paper:
    return Paper(
        title=entry.title,
        abstract=" ".join(entry.abstract_lines),
        author_count=entry.author_count,
        organization=entry.organization,
        published=entry.published,
        upvotes=entry.upvotes,
        sources=(source,),
    )
