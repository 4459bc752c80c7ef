"""Any RSS or Atom feed (journals, blogs, preprint servers) through feedparser."""

from __future__ import annotations

import re
import time
from datetime import date
from typing import Any

import feedparser

from digest.errors import SourceError
from digest.identifiers import ArxivId, find_arxiv_id, normalise_doi, parse_arxiv_id
from digest.models import Paper
from digest.parsers.common import MAX_PAYLOAD_BYTES, clean_text, strip_html

__all__ = ["parse_feed"]


def _date(struct: time.struct_time | None) -> date | None:
    if not struct:
        return None
    try:
        return date(struct.tm_year, struct.tm_mon, struct.tm_mday)
    except ValueError:
        return None


_ARXIV_URL = re.compile(r"arxiv\.org/(?:abs|pdf|html)/(\S+?)(?:\.pdf)?(?=[\s\"'<>)]|$)")


def _single_arxiv_link(html_text: str) -> ArxivId | None:
    """A post that links exactly one arXiv paper is about that paper; several: about none."""
    found = {a.base for m in _ARXIV_URL.finditer(html_text) if (a := find_arxiv_id(m.group(1)))}
    return parse_arxiv_id(found.pop()) if len(found) == 1 else None


def _entry_to_paper(entry: Any, source: str) -> Paper | None:
    title = strip_html(entry.get("title"))
    if not title:
        return None
    link = entry.get("link") or None
    own_id = entry.get("id") or link
    hrefs = " ".join(str(x.get("href", "")) for x in entry.get("links", []))
    arxiv = find_arxiv_id(f"{own_id or ''} {link or ''} {hrefs}") or _single_arxiv_link(
        entry.get("summary") or ""
    )
    doi = normalise_doi(entry.get("prism_doi")) or normalise_doi(entry.get("dc_identifier"))
    summary = entry.get("summary") or ""
    if entry.get("content"):
        # Atom <content> is often the fuller text; prefer it when longer than the summary.
        content = max((c.get("value", "") for c in entry["content"]), key=len)
        summary = content if len(content) > len(summary) else summary
    authors = tuple(
        clean_text(a.get("name")) for a in entry.get("authors", []) if a.get("name")
    ) or ((clean_text(entry["author"]),) if entry.get("author") else ())
    categories = tuple(
        t.get("term").strip() for t in entry.get("tags", []) if (t.get("term") or "").strip()
    )
    return Paper(
        id=arxiv.base if arxiv else own_id,
        arxiv_id=arxiv.base if arxiv else None,
        version=arxiv.version if arxiv else None,
        doi=doi,
        title=title,
        abstract=strip_html(summary),
        authors=authors,
        categories=categories,
        published=_date(entry.get("published_parsed") or entry.get("updated_parsed")),
        url=link,
        abs_url=f"https://arxiv.org/abs/{arxiv.base}" if arxiv else None,
        sources=(source,),
    )


def parse_feed(data: bytes, *, source: str = "rss") -> list[Paper]:
    """Papers from an RSS 0.9x/1.0/2.0 or Atom feed. Raises SourceError when it is not a feed."""
    if len(data) > MAX_PAYLOAD_BYTES:
        raise SourceError(source, f"payload of {len(data)} bytes exceeds {MAX_PAYLOAD_BYTES}")
    parsed = feedparser.parse(data, resolve_relative_uris=False, sanitize_html=False)
    is_feed = bool(parsed.get("version")) or bool(parsed.entries)
    if not is_feed:
        reason = parsed.get("bozo_exception") or "no RSS or Atom structure found"
        raise SourceError(source, f"not a feed: {reason}")
    papers = [p for p in (_entry_to_paper(e, source) for e in parsed.entries) if p is not None]
    if parsed.entries and not papers:
        raise SourceError(source, "no entry in the feed has a title")
    return papers
