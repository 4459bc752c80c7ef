"""A JSON Lines import: one paper per line, ``title`` required, everything else optional.

Fields: id, title, abstract, authors (list or comma-joined), published, url, upvotes, plus the
optional arXiv-ish extras categories, doi, code_url. A JSON array of such objects works too.
"""

from __future__ import annotations

import json
from typing import Any

from digest.errors import SourceError
from digest.identifiers import find_arxiv_id, normalise_doi, parse_arxiv_id
from digest.models import Paper
from digest.parsers.common import clean_text, decode, parse_date

__all__ = ["parse_jsonl"]

SOURCE = "jsonl"


def _authors(raw: object) -> tuple[str, ...]:
    if isinstance(raw, str):
        return tuple(a.strip() for a in raw.split(",") if a.strip())
    if isinstance(raw, list):
        names = (a.get("name") if isinstance(a, dict) else a for a in raw)
        return tuple(clean_text(n) for n in names if isinstance(n, str) and n.strip())
    return ()


def _record_to_paper(record: dict[str, Any], source: str, where: str) -> Paper:
    title = record.get("title")
    if not isinstance(title, str) or not title.strip():
        raise SourceError(source, f'{where}: every record needs a non-empty "title"')
    raw_id = record.get("id")
    own_id = str(raw_id).strip() if isinstance(raw_id, str | int) and str(raw_id).strip() else None
    url = record.get("url") if isinstance(record.get("url"), str) else None
    arxiv = parse_arxiv_id(own_id) if own_id else None
    if arxiv is None and url and "arxiv.org" in url:
        arxiv = find_arxiv_id(url)
    upvotes = record.get("upvotes")
    categories = record.get("categories")
    return Paper(
        id=arxiv.base if arxiv else own_id,
        arxiv_id=arxiv.base if arxiv else None,
        version=arxiv.version if arxiv else None,
        doi=normalise_doi(record.get("doi") if isinstance(record.get("doi"), str) else None),
        title=clean_text(title),
        abstract=clean_text(
            record.get("abstract") if isinstance(record.get("abstract"), str) else ""
        ),
        authors=_authors(record.get("authors")),
        categories=tuple(c for c in categories if isinstance(c, str))
        if isinstance(categories, list)
        else (),
        published=parse_date(record.get("published")),
        url=url or (f"https://arxiv.org/abs/{arxiv.base}" if arxiv else None),
        abs_url=f"https://arxiv.org/abs/{arxiv.base}" if arxiv else None,
        code_url=record.get("code_url") if isinstance(record.get("code_url"), str) else None,
        upvotes=upvotes if isinstance(upvotes, int) and not isinstance(upvotes, bool) else None,
        sources=(source,),
    )


def parse_jsonl(data: bytes, *, source: str = SOURCE) -> list[Paper]:
    """Papers from JSON Lines (or one JSON array). A bad line fails the whole file, naming it."""
    text = decode(data, source)
    stripped = text.lstrip()
    records: list[tuple[str, object]] = []
    if stripped.startswith("["):
        try:
            payload = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise SourceError(source, f"invalid JSON at line {exc.lineno}") from None
        records = [(f"item {i}", item) for i, item in enumerate(payload, start=1)]
    else:
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append((f"line {number}", json.loads(line)))
            except json.JSONDecodeError as exc:
                raise SourceError(source, f"line {number}: invalid JSON ({exc.msg})") from None
    papers: list[Paper] = []
    for where, record in records:
        if not isinstance(record, dict):
            raise SourceError(source, f"{where}: expected a JSON object")
        papers.append(_record_to_paper(record, source, where))
    if not papers:
        raise SourceError(source, "no records found")
    return papers
