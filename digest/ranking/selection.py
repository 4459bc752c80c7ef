"""Choosing a digest from ranked papers: the threshold, near-duplicates, then variety (MMR).

Pure: ranked items in, the digest's items out.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from digest.identifiers import normalise_title
from digest.models import DigestItem
from digest.ranking.text import tokenize

__all__ = ["select"]


def select(
    items: Sequence[DigestItem],
    *,
    top: int,
    min_score: float = 0.0,
    diversity: float = 0.3,
) -> list[DigestItem]:
    """The digest: above the threshold, near-duplicates dropped, then MMR for variety.

    Never padded: a weak day yields a shorter digest.
    """
    eligible = [
        i
        for i in items
        if i.score > 0 and (i.relevance if i.relevance is not None else i.score) >= min_score
    ]
    # MMR only reorders near the top: the best few times ``top`` are all it needs to see.
    eligible = sorted(eligible, key=lambda i: -i.score)[: max(top * 4, 20)]
    tokens = [_token_set(i.paper.title, i.paper.abstract) for i in eligible]
    overlap = [0.0] * len(eligible)  # each candidate's highest overlap with a chosen paper
    remaining = list(range(len(eligible)))
    chosen: list[int] = []
    seen_titles: set[str] = set()
    while remaining and len(chosen) < top:
        best = max(remaining, key=lambda r: eligible[r].score - diversity * overlap[r])
        remaining.remove(best)
        title_key = _title_key(eligible[best].paper.title)
        if title_key in seen_titles or overlap[best] > 0.8:
            continue  # the same work again (another version or source)
        seen_titles.add(title_key)
        chosen.append(best)
        for r in remaining:
            overlap[r] = max(overlap[r], _jaccard(tokens[r], tokens[best]))
    return [eligible[c] for c in chosen]


@lru_cache(maxsize=65_536)
def _title_key(title: str) -> str:
    """Digests of many channels show the same papers: each title is normalised once."""
    return normalise_title(title)


@lru_cache(maxsize=65_536)
def _token_set(title: str, abstract: str) -> frozenset[str]:
    return frozenset(tokenize(f"{title} {abstract}"))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0
