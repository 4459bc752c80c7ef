"""arXiv's two XML formats: the query API (Atom) and the announcement feeds (Atom or RSS 2.0)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date
from email.utils import parsedate_to_datetime
from typing import TypedDict

from lxml import etree

from digest.errors import SourceError
from digest.identifiers import ArxivId, find_arxiv_id, normalise_doi
from digest.models import Paper
from digest.parsers.common import clean_text, parse_date, parse_datetime
from digest.parsers.xml import NS, child_text, parse_xml

__all__ = ["ANNOUNCE_TYPES", "parse_arxiv_api", "parse_arxiv_feed", "split_creators"]

ANNOUNCE_TYPES = ("new", "cross", "replace", "replace-cross")
_ANNOUNCE_PREFIX = re.compile(
    r"^\s*arXiv:\S+\s+Announce Type:\s*(?P<type>[\w-]+)\s*(?:Abstract:)?\s*", re.IGNORECASE
)


class _Links(TypedDict):
    abs_url: str
    pdf_url: str
    hf_url: str


def _links(arxiv: ArxivId, *, pdf_url: str | None = None) -> _Links:
    return {
        "abs_url": f"https://arxiv.org/abs/{arxiv.base}",
        "pdf_url": pdf_url or f"https://arxiv.org/pdf/{arxiv.base}",
        "hf_url": f"https://huggingface.co/papers/{arxiv.base}",
    }


def _categories(entry: etree._Element, path: str) -> tuple[str, ...]:
    terms = (c.get("term") or (c.text or "") for c in entry.findall(path, NS))
    return tuple(dict.fromkeys(t.strip() for t in terms if t and t.strip()))


def split_creators(creators: str | None) -> tuple[str, ...]:
    """Authors from the feeds' single comma-joined ``dc:creator`` ("A, B, and C")."""
    if not creators:
        return ()
    parts = re.split(r",\s*(?:and\s+)?|\s+and\s+", clean_text(creators))
    return tuple(p.strip() for p in parts if p.strip())


def _api_entry(entry: etree._Element, source: str) -> Paper | None:
    raw_id = child_text(entry, "atom:id") or ""
    arxiv = find_arxiv_id(raw_id)
    title = clean_text(child_text(entry, "atom:title"))
    if arxiv is None or not title:
        return None
    primary = entry.find("arxiv:primary_category", NS)
    pdf = next(
        (link.get("href") for link in entry.findall("atom:link", NS) if link.get("title") == "pdf"),
        None,
    )
    links = _links(arxiv, pdf_url=pdf)
    return Paper(
        id=arxiv.base,
        arxiv_id=arxiv.base,
        version=arxiv.version,
        title=title,
        abstract=clean_text(child_text(entry, "atom:summary")),
        authors=tuple(
            clean_text(name.text)
            for name in entry.findall("atom:author/atom:name", NS)
            if name.text and name.text.strip()
        ),
        categories=_categories(entry, "atom:category"),
        primary_category=primary.get("term") if primary is not None else None,
        published=parse_date(child_text(entry, "atom:published")),
        updated=parse_datetime(child_text(entry, "atom:updated")),
        doi=normalise_doi(child_text(entry, "arxiv:doi")),
        comment=clean_text(child_text(entry, "arxiv:comment")) or None,
        journal_ref=clean_text(child_text(entry, "arxiv:journal_ref")) or None,
        url=links["abs_url"],
        **links,
        sources=(source,),
    )


def parse_arxiv_api(data: bytes, *, source: str = "arxiv-api") -> list[Paper]:
    """Papers from an ``export.arxiv.org/api/query`` response."""
    root = parse_xml(data, source)
    if root.tag != f"{{{NS['atom']}}}feed":
        raise SourceError(source, f"expected an Atom <feed>, got <{etree.QName(root).localname}>")
    entries = root.findall("atom:entry", NS)
    # The API reports a bad query as a single entry whose id points at its errors page.
    if len(entries) == 1 and "api/errors" in (child_text(entries[0], "atom:id") or ""):
        reason = clean_text(child_text(entries[0], "atom:summary")) or "unknown error"
        raise SourceError(source, f"arXiv API error: {reason}")
    return _collect(entries, source, _api_entry)


def _announce(summary: str, explicit: str | None) -> tuple[str | None, str]:
    match = _ANNOUNCE_PREFIX.match(summary)
    kind = explicit or (match.group("type") if match else None)
    abstract = summary[match.end() :] if match else summary
    return (kind.lower() if kind else None), clean_text(abstract)


def _feed_entry(entry: etree._Element, source: str) -> Paper | None:
    is_rss = entry.tag == "item"
    raw_id = (
        entry.findtext("guid") or entry.findtext("link") or ""
        if is_rss
        else child_text(entry, "atom:id") or ""
    )
    arxiv = find_arxiv_id(raw_id)
    title = clean_text(entry.findtext("title") if is_rss else child_text(entry, "atom:title"))
    if arxiv is None or not title:
        return None
    summary = (entry.findtext("description") if is_rss else child_text(entry, "atom:summary")) or ""
    kind, abstract = _announce(summary, child_text(entry, "arxiv:announce_type"))
    published = entry.findtext("pubDate") if is_rss else child_text(entry, "atom:published")
    categories = (
        tuple(c.text.strip() for c in entry.findall("category") if c.text and c.text.strip())
        if is_rss
        else _categories(entry, "atom:category")
    )
    links = _links(arxiv)
    return Paper(
        id=arxiv.base,
        arxiv_id=arxiv.base,
        version=arxiv.version,
        title=title,
        abstract=abstract,
        authors=split_creators(child_text(entry, "dc:creator")),
        categories=categories,
        primary_category=categories[0] if categories else None,
        published=parse_date(published) or _rfc822_date(published),
        announce_type=kind,
        url=links["abs_url"],
        **links,
        sources=(source,),
    )


def _rfc822_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).date()
    except (TypeError, ValueError, IndexError):
        return None


def parse_arxiv_feed(data: bytes, *, source: str = "arxiv-rss") -> list[Paper]:
    """Papers from ``rss.arxiv.org/rss/<cats>`` or ``/atom/<cats>``; an empty day is ``[]``."""
    root = parse_xml(data, source)
    if root.tag == f"{{{NS['atom']}}}feed":
        entries = root.findall("atom:entry", NS)
    elif root.tag == "rss":
        entries = root.findall("channel/item")
    else:
        raise SourceError(
            source, f"expected an RSS or Atom feed, got <{etree.QName(root).localname}>"
        )
    return _collect(entries, source, _feed_entry)


def _collect(
    entries: Iterable[etree._Element],
    source: str,
    convert: Callable[[etree._Element, str], Paper | None],
) -> list[Paper]:
    papers: list[Paper] = []
    seen = 0
    for entry in entries:
        seen += 1
        paper = convert(entry, source)
        if paper is not None:
            papers.append(paper)
    if seen and not papers:
        raise SourceError(source, f"none of {seen} entries carries an arXiv id and a title")
    return papers
