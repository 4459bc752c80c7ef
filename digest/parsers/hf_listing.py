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
first title, other header lines may appear, and metadata lines may be missing for some or
all entries, down to a page that is nothing but title and abstract lines, alternating. So
metadata lines are read off by their shape, and the title/abstract role of every other line
is decided over the whole page at once (``listing_roles``).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from digest.errors import SourceError
from digest.models import Paper
from digest.parsers.common import clean_text, decode_text
from digest.parsers.listing_roles import Line, Role, assign_roles
from digest.parsers.listing_shape import can_be_title, ends_paragraph, title_cased

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
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # not str.splitlines: it also splits on U+2028 etc.
_INVISIBLE = re.compile("[\ufeff\u200b\u200c\u200d\u2060]")
_BOILERPLATE = (
    "new",
    "subscribe",
    "daily papers",
    "byak and the research community",
)
_BANNER = "get trending papers in your email inbox"  # "... inbox!", "... once a day!"
# Header text a page may glue to the next line ("SubscribeDaily Papers", "SubscribeMy Title").
_GLUED = (
    "Get trending papers in your email inbox once a day!",
    "Get trending papers in your email inbox!",
    "Subscribe",
    "Daily Papers",
    "byAK and the research community",
)
_HEADER_LINES = 12  # glued header text is looked for only near the top of the page
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*$")
_MIN_ABSTRACT = 40
_MIN_HEADERLESS = 3  # papers a page without header or metadata must show to be taken for one
_LONG_ABSTRACT = 300  # real abstracts run to 1,000-2,000 characters
_PROSE = re.compile(r"[^\W_]|\s")  # letters, digits and spaces: the stuff of prose
_MAX_ORGANISATION = 120


@dataclass(kw_only=True, slots=True)
class _Meta:
    """What a metadata block after an abstract says about its entry."""

    author_count: int | None = None
    organization: str | None = None
    published: date | None = None
    upvotes: int | None = None


@dataclass(kw_only=True, slots=True)
class _Page:
    lines: list[Line] = field(default_factory=list)
    meta: dict[int, _Meta] = field(default_factory=dict)  # by the content line it follows
    truncated: bool = False  # the text stops mid-line (a cut download or copy)


@dataclass(kw_only=True, slots=True)
class _Entry:
    title: str
    abstract_lines: list[str] = field(default_factory=list)
    meta: _Meta | None = None


def _is_boilerplate(line: str) -> bool:
    lowered = line.lower()
    return lowered in _BOILERPLATE or lowered.startswith(_BANNER)


def _unglue(line: str) -> str:
    """Remove header text glued to the start of a line ("SubscribeDaily Papers...")."""
    changed = True
    while changed:
        changed = False
        for word in _GLUED:
            rest = line[len(word) :]
            # "SubscribeMy Title" is glued; "Subscribers Matter" and "Subscribe now to ..."
            # are text of their own.
            if line.startswith(word) and rest and not (rest[0].islower() or rest[0].isspace()):
                line = rest.strip()
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


def _next_text(raw: Sequence[str], index: int) -> str:
    return next((line for line in raw[index + 1 :] if line), "")


def _read_meta(line: str, following: str, meta: _Meta, page_year: int | None) -> bool:
    """Record ``line`` in ``meta`` when it is a metadata line; whether it was one."""
    if line in _SEPARATOR:
        return True
    if authors := _AUTHORS_LINE.match(line):
        meta.author_count = int(authors.group("count"))
        return True
    if when := _DATE_LINE.match(line):
        meta.published = _parse_date(when, page_year)
        meta.upvotes = int(when.group("upvotes")) if when.group("upvotes") else None
        return True
    # An organisation line ("amazon Amazon": handle, then name) stands right before the "·".
    organisation = following in _SEPARATOR and len(line) <= _MAX_ORGANISATION
    if organisation and not _SENTENCE_END.search(line):
        meta.organization = line.split(" ", 1)[-1]
        return True
    return False


def _clean_lines(text: str) -> list[str]:
    raw = [clean_text(_INVISIBLE.sub("", line)) for line in _LINE_BREAK.split(text)]
    seen = 0
    for index, line in enumerate(raw):
        if not line:
            continue
        raw[index] = _unglue(line)
        seen += 1
        if seen >= _HEADER_LINES:
            break
    return raw


def _read_page(text: str, page_year: int | None) -> _Page:
    """Content lines with their surroundings, and the metadata blocks between them."""
    raw = _clean_lines(text)
    page = _Page(truncated=bool(text) and not text.endswith(("\n", "\r")))
    blank, boundary = True, False  # the first line starts a paragraph, as after a blank
    for index, line in enumerate(raw):
        if not line:
            blank = True
            continue
        last = len(page.lines) - 1
        meta = page.meta.get(last, _Meta())
        if _read_meta(line, _next_text(raw, index), meta, page_year):
            if last >= 0:  # metadata before any content is the page's own date
                page.meta[last] = meta
            boundary = True
            continue
        page.lines.append(
            Line(
                text=line,
                blank_before=blank,
                boundary_before=boundary,
                boilerplate=_is_boilerplate(line),
            )
        )
        blank = boundary = False
    return page


def _entries(page: _Page) -> list[_Entry]:
    roles = assign_roles(page.lines, truncated=page.truncated)
    entries: list[_Entry] = []
    for index, (line, role) in enumerate(zip(page.lines, roles, strict=True)):
        if role is Role.TITLE:
            entries.append(_Entry(title=line.text))
        elif role in (Role.ABSTRACT, Role.MORE) and entries:
            entries[-1].abstract_lines.append(line.text)
            entries[-1].meta = page.meta.get(index, entries[-1].meta)
    if page.truncated and entries and _cut_short(entries[-1], roles):
        entries.pop()
    return entries


def _cut_short(entry: _Entry, roles: Sequence[Role]) -> bool:
    """Whether the page stops inside this (last) entry's abstract.

    The text ends mid-line, the entry has no metadata after it, and its abstract stops
    where no abstract does (not on a sentence end or a link): a copy or download cut in the
    middle. Keeping it would store a partial abstract as if whole.
    """
    if entry.meta is not None or not entry.abstract_lines:
        return False
    return roles[-1] in (Role.ABSTRACT, Role.MORE) and not ends_paragraph(entry.abstract_lines[-1])


def _to_paper(entry: _Entry, source: str) -> Paper:
    meta = entry.meta or _Meta()
    return Paper(
        title=entry.title,
        abstract=" ".join(entry.abstract_lines),
        author_count=meta.author_count,
        organization=meta.organization,
        published=meta.published,
        upvotes=meta.upvotes,
        sources=(source,),
    )


def _papers(text: str, page_year: int | None, source: str) -> list[Paper]:
    entries = _entries(_read_page(text, page_year))
    papers = [_to_paper(entry, source) for entry in entries if entry.abstract_lines]
    return [paper for paper in papers if len(paper.abstract) >= _MIN_ABSTRACT]


def parse_hf_listing(
    data: bytes, *, page_year: int | None = None, source: str = SOURCE
) -> list[Paper]:
    """Papers from a Daily Papers page text. ``page_year`` dates entries shown without a year.

    Raises SourceError when no title/abstract pair can be found.
    """
    papers = _papers(decode_text(data, source), page_year, source)
    if not papers:
        raise SourceError(source, "no paper (a title followed by an abstract) found in the text")
    return papers


def looks_like_hf_listing(text: str) -> bool:
    """Whether plain text is a Daily Papers page: its header, its metadata, or its shape."""
    if _has_page_header(text):
        return True
    lines = [line for line in _clean_lines(text) if line]
    dated = (
        _AUTHORS_LINE.match(line) or (line == "·" and _DATE_LINE.match(after))
        for line, after in itertools.pairwise(lines)
    )
    if sum(1 for marker in dated if marker) >= 2:
        return True
    return _shaped_like_listing(text)


def _has_page_header(text: str) -> bool:
    """The page's banner line, or two of its header lines, near the top: as lines, so a
    README that merely names them ("Daily Papers", "Subscribe") is not taken for a page."""
    markers = 0
    for line in [line for line in _clean_lines(text[:5000]) if line][:_HEADER_LINES]:
        lowered = line.lower()
        if lowered.startswith(_BANNER):
            return True
        markers += lowered in _BOILERPLATE[1:]  # not "new": too common a word
    return markers >= 2


def _shaped_like_listing(text: str) -> bool:
    """A page with no header and no metadata left: demand that nearly all of it reads as
    short title lines each followed by a long prose abstract, so notes, a licence or a
    README are refused."""
    papers = _papers(text, None, SOURCE)
    if len(papers) < _MIN_HEADERLESS:
        return False
    abstracts = "".join(paper.abstract for paper in papers)
    covered = sum(len(paper.title) for paper in papers) + len(abstracts)
    content = sum(len(clean_text(line)) for line in text.splitlines())
    long_abstracts = sum(len(paper.abstract) >= _LONG_ABSTRACT for paper in papers)
    statements = sum(paper.title.endswith(".") for paper in papers)
    cased = sum(title_cased(paper.title) for paper in papers)
    return (
        covered >= 0.9 * content
        and long_abstracts >= 0.7 * len(papers)
        and statements <= 0.4 * len(papers)
        and cased >= 0.6 * len(papers)
        and all(can_be_title(paper.title) for paper in papers)
        and len(_PROSE.findall(abstracts)) >= 0.9 * len(abstracts)
    )
