"""Merging records of one work seen by several sources (pure)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from digest.identifiers import normalise_title
from digest.models import Paper

__all__ = ["dedupe", "merge_papers", "same_work"]

# Fields where the newer source's value wins when it has one (counts move, links get added).
_LATEST_WINS = {"upvotes", "num_comments", "updated", "announce_type", "thumbnail"}
_NEVER_MERGED = {"sources", "first_seen", "uid", "version"}


def same_work(a: Paper, b: Paper) -> bool:
    """Same arXiv id, else same DOI, else same normalised title."""
    if a.arxiv_id and b.arxiv_id:
        return a.arxiv_id == b.arxiv_id
    if a.doi and b.doi:
        return a.doi == b.doi
    return normalise_title(a.title) == normalise_title(b.title)


def _empty(value: object) -> bool:
    return value is None or value == "" or value == ()


def merge_papers(old: Paper, new: Paper) -> Paper:
    """One record from two: fill gaps from either side, newest counts, longest abstract."""
    changes: dict[str, object] = {}
    for f in dataclasses.fields(Paper):
        if f.name in _NEVER_MERGED:
            continue
        before, after = getattr(old, f.name), getattr(new, f.name)
        if _empty(after):
            continue
        if _empty(before) or f.name in _LATEST_WINS:
            changes[f.name] = after
        elif f.name == "abstract" and len(after) > len(before):
            changes[f.name] = after  # a listing may carry a truncated abstract
    versions = [v for v in (old.version, new.version) if v is not None]
    changes["version"] = max(versions) if versions else None
    changes["sources"] = tuple(dict.fromkeys(old.sources + new.sources))
    return dataclasses.replace(old, **changes)  # type: ignore[arg-type]


def dedupe(papers: Iterable[Paper]) -> list[Paper]:
    """Collapse records of the same work within one batch, keeping first-seen order."""
    merged: list[Paper] = []
    by_arxiv: dict[str, int] = {}
    by_doi: dict[str, int] = {}
    by_title: dict[str, int] = {}
    for paper in papers:
        title_key = normalise_title(paper.title)
        index = (
            (by_arxiv.get(paper.arxiv_id) if paper.arxiv_id else None)
            or (by_doi.get(paper.doi) if paper.doi else None)
            or by_title.get(title_key)
        )
        if index is not None and same_work(merged[index - 1], paper):
            merged[index - 1] = merge_papers(merged[index - 1], paper)
        else:
            merged.append(paper)
            index = len(merged)
        current = merged[index - 1]
        if current.arxiv_id:
            by_arxiv[current.arxiv_id] = index
        if current.doi:
            by_doi[current.doi] = index
        by_title[title_key] = index
    return merged
