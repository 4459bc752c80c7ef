"""Hugging Face Daily Papers JSON: ``/api/daily_papers`` and ``/api/papers/search``.

Both answer a JSON array of entries ``{"paper": {...}, "title", "summary", "thumbnail", ...}``;
``/api/papers/{id}`` answers one bare paper object. Every field but the title is optional:
old responses lack ``ai_summary``/``ai_keywords``, many papers have no GitHub repository.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from digest.errors import SourceError
from digest.identifiers import parse_arxiv_id
from digest.models import Paper
from digest.parsers.common import clean_text, decode, parse_date, parse_datetime

__all__ = ["parse_hf_daily"]

SOURCE = "hf-daily"
log = logging.getLogger(__name__)


def _str(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _int(value: object) -> int | None:
    # bool is an int subclass; a JSON true is not a count.
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _authors(raw: object) -> tuple[str, ...]:
    if not isinstance(raw, list):
        return ()
    names = (_str(a.get("name")) for a in raw if isinstance(a, dict) and not a.get("hidden"))
    return tuple(n for n in names if n)


def _keywords(raw: object) -> tuple[str, ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(k.strip() for k in raw if isinstance(k, str) and k.strip())


def _organization(*candidates: object) -> str | None:
    for org in candidates:
        if isinstance(org, dict):
            name = _str(org.get("fullname")) or _str(org.get("name"))
            if name:
                return name
    return None


def _entry_to_paper(entry: dict[str, Any], source: str) -> Paper | None:
    inner = entry.get("paper")
    paper: dict[str, Any] = inner if isinstance(inner, dict) else entry
    title = clean_text(_str(paper.get("title")) or _str(entry.get("title")))
    if not title:
        return None
    raw_id = _str(paper.get("id"))
    arxiv = parse_arxiv_id(raw_id) if raw_id else None
    arxiv_id = arxiv.base if arxiv else None
    hf_url = f"https://huggingface.co/papers/{arxiv_id or raw_id}" if raw_id else None
    published = parse_datetime(paper.get("publishedAt")) or parse_datetime(entry.get("publishedAt"))
    return Paper(
        id=arxiv_id or raw_id,
        arxiv_id=arxiv_id,
        version=arxiv.version if arxiv else None,
        title=title,
        abstract=clean_text(_str(paper.get("summary")) or _str(entry.get("summary"))),
        authors=_authors(paper.get("authors")),
        published=parse_date(published),
        abs_url=f"https://arxiv.org/abs/{arxiv_id}" if arxiv_id else None,
        pdf_url=f"https://arxiv.org/pdf/{arxiv_id}" if arxiv_id else None,
        hf_url=hf_url,
        url=hf_url,
        code_url=_str(paper.get("githubRepo")),
        project_url=_str(paper.get("projectPage")),
        upvotes=_int(paper.get("upvotes")),
        num_comments=_int(entry.get("numComments")),
        ai_summary=clean_text(_str(paper.get("ai_summary"))) or None,
        ai_keywords=_keywords(paper.get("ai_keywords")),
        thumbnail=_str(entry.get("thumbnail")),
        organization=_organization(paper.get("organization"), entry.get("organization")),
        sources=(source,),
    )


def parse_hf_daily(data: bytes, *, source: str = SOURCE) -> list[Paper]:
    """Papers from a Daily Papers / paper-search response. Raises SourceError when unreadable."""
    text = decode(data, source)
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(source, f"invalid JSON at line {exc.lineno} column {exc.colno}") from None
    if isinstance(payload, dict) and ("paper" in payload or "title" in payload):
        payload = [payload]
    if not isinstance(payload, list):
        raise SourceError(source, f"expected a JSON array of papers, got {type(payload).__name__}")
    papers: list[Paper] = []
    skipped = 0
    for entry in payload:
        paper = _entry_to_paper(entry, source) if isinstance(entry, dict) else None
        if paper is None:
            skipped += 1
        else:
            papers.append(paper)
    if skipped:
        log.warning("%s: skipped %d entries without a title", source, skipped)
    if payload and not papers:
        raise SourceError(source, "no entry in the response has a paper title")
    return papers
