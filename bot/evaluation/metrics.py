"""The judged set (papers, interests, graded judgments) and the metrics over it."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digest.models import Paper

__all__ = ["JudgedSet", "K", "Ranking", "load_judged", "ndcg_at", "paired_p_value", "precision_at"]

Ranking = Callable[[str], list[str]]  # query text -> paper keys, best first
K = 10


def ndcg_at(ranked: Sequence[str], grades: Mapping[str, int], k: int = K) -> float:
    dcg = sum((2 ** grades.get(key, 0) - 1) / math.log2(i + 2) for i, key in enumerate(ranked[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    best = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / best if best else 0.0


def precision_at(ranked: Sequence[str], grades: Mapping[str, int], k: int = K) -> float:
    return sum(1 for key in ranked[:k] if grades.get(key, 0) > 0) / k


def paired_p_value(ours: Sequence[float], theirs: Sequence[float]) -> float:
    """Two-sided p-value of the mean per-interest difference, by a paired sign-flip
    permutation test: how often flipping which system got which score gives a mean difference
    at least as large. Exact (every flip) up to 16 interests, else 20,000 seeded samples. With
    ten interests, a gap needs to be consistent, not only large, to be told apart from luck."""
    diffs = np.asarray(ours, dtype=float) - np.asarray(theirs, dtype=float)
    n = len(diffs)
    if not n or not np.any(diffs):
        return 1.0
    if n <= 16:
        codes = np.arange(2**n)[:, None] >> np.arange(n) & 1
    else:
        codes = np.random.default_rng(0).integers(0, 2, size=(20_000, n))
    means = ((1 - 2 * codes) * diffs).mean(axis=1)
    return float(np.mean(np.abs(means) >= abs(diffs.mean()) - 1e-12))


@dataclass(frozen=True, kw_only=True, slots=True)
class JudgedSet:
    """Papers, interests (a short query and a sentence each) and graded judgments, pooled
    from several folders over the same papers; ``origin`` names each interest's folder."""

    papers: list[Paper]
    queries: dict[str, dict[str, str]]
    qrels: dict[str, dict[str, int]]
    origin: dict[str, str]


def load_judged(folders: Sequence[Path]) -> JudgedSet:
    """The first folder holds papers.jsonl; every folder adds queries.json and qrels.json
    (the repository's own ``eval/`` judges the shared papers too)."""
    papers = []
    for line in (folders[0] / "papers.jsonl").read_text().splitlines():
        if line.strip():
            record = json.loads(line)
            papers.append(
                Paper(
                    uid=record["id"],
                    id=record["id"],
                    title=record["title"],
                    abstract=record.get("abstract", ""),
                )
            )
    queries: dict[str, dict[str, str]] = {}
    qrels: dict[str, dict[str, int]] = {}
    origin: dict[str, str] = {}
    known = {p.key for p in papers}
    for folder in folders:
        more = json.loads((folder / "queries.json").read_text())
        judged = json.loads((folder / "qrels.json").read_text())
        for name in more:
            if name in queries:
                raise ValueError(f"interest {name!r} is in two folders")
            unknown = set(judged.get(name, {})) - known
            if unknown:
                raise ValueError(f"{folder}: {name} judges unknown papers {sorted(unknown)[:3]}")
            queries[name], qrels[name], origin[name] = more[name], judged.get(name, {}), str(folder)
    return JudgedSet(papers=papers, queries=queries, qrels=qrels, origin=origin)
