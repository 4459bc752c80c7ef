"""Choosing a digest from ranked papers: the threshold, near-duplicates, places shared among
interests, then variety (MMR).

Pure: ranked items in, the digest's items out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    shares: Mapping[str, float] | None = None,
) -> list[DigestItem]:
    """The digest, best first: above the threshold, near-duplicates dropped, and its places
    shared among the interests that picked papers, then MMR within each for variety.

    Places go to interests in turn by the Sainte-Laguë rule on their ``shares`` (weights; 1
    when not given): the next place goes to the interest with the highest share / (2 x
    places it holds + 1), the better paper deciding between equals. So six strong papers on
    one topic cannot crowd out a channel's other interests, while a heavier interest gets
    more places. Never padded: a weak day yields a shorter digest.
    """
    eligible = sorted(
        (
            i
            for i in items
            if i.score > 0 and (i.relevance if i.relevance is not None else i.score) >= min_score
        ),
        key=lambda i: -i.score,
    )
    # MMR only reorders near the top: twice ``top`` of each interest's best is enough.
    per_interest: dict[str, list[DigestItem]] = {}
    for item in eligible:
        group = per_interest.setdefault(item.interest or "", [])
        if len(group) < max(top * 2, 10):
            group.append(item)
    eligible = sorted((i for g in per_interest.values() for i in g), key=lambda i: -i.score)
    tokens = [_token_set(i.paper.title, i.paper.abstract) for i in eligible]
    overlap = [0.0] * len(eligible)  # each candidate's highest overlap with a chosen paper
    remaining = list(range(len(eligible)))
    chosen: list[int] = []
    held: dict[str, int] = {}  # places each interest holds
    seen_titles: set[str] = set()

    def priority(interest: str) -> float:
        share = (shares or {}).get(interest, 1.0)
        return share / (2 * held.get(interest, 0) + 1)

    while remaining and len(chosen) < top:
        best_of: dict[str, int] = {}  # each interest's best remaining paper, by MMR
        for r in remaining:
            interest = eligible[r].interest or ""
            value = eligible[r].score - diversity * overlap[r]
            current = best_of.get(interest)
            if current is None or value > eligible[current].score - diversity * overlap[current]:
                best_of[interest] = r
        turn = max(best_of, key=lambda i: (priority(i), eligible[best_of[i]].score))
        best = best_of[turn]
        remaining.remove(best)
        title_key = _title_key(eligible[best].paper.title)
        if title_key in seen_titles or overlap[best] > 0.8:
            continue  # the same work again (another version or source)
        seen_titles.add(title_key)
        chosen.append(best)
        held[turn] = held.get(turn, 0) + 1
        for r in remaining:
            overlap[r] = max(overlap[r], _jaccard(tokens[r], tokens[best]))
    return sorted((eligible[c] for c in chosen), key=lambda i: -i.score)


@lru_cache(maxsize=65_536)
def _title_key(title: str) -> str:
    """Digests of many channels show the same papers: each title is normalised once."""
    return normalise_title(title)


@lru_cache(maxsize=65_536)
def _token_set(title: str, abstract: str) -> frozenset[str]:
    return frozenset(tokenize(f"{title} {abstract}"))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0
