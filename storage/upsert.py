"""The merge-on-write rule both repositories share: find the stored work, merge, count."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from digest.merge import dedupe, merge_papers
from digest.models import Paper
from digest.ports import UpsertCounts

__all__ = ["plan_upsert"]


def plan_upsert(
    papers: Sequence[Paper],
    seen_at: datetime,
    find_existing: Callable[[Paper], Paper | None],
) -> tuple[list[Paper], list[Paper], UpsertCounts]:
    """Split a batch into papers to insert and papers to update.

    ``find_existing`` looks a paper up by arXiv id, else DOI, else normalised title.
    New papers get their stable ``uid`` and ``first_seen`` here.
    """
    inserts: list[Paper] = []
    updates: list[Paper] = []
    unchanged = 0
    for paper in dedupe(papers):
        existing = find_existing(paper)
        if existing is None:
            inserts.append(paper.replace(uid=paper.key, first_seen=seen_at))
            continue
        merged = merge_papers(existing, paper)
        if merged == existing:
            unchanged += 1
        else:
            updates.append(merged)
    return (
        inserts,
        updates,
        UpsertCounts(new=len(inserts), updated=len(updates), unchanged=unchanged),
    )
