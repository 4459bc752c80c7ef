"""`make eval`: ranking quality on a relevance-judged set, next to the usual baselines.

    python -m bot.evaluate PATH/TO/eval    (papers.jsonl, queries.json, qrels.json)

Prints nDCG@10 and P@10 per interest and on average, for the short and the sentence phrasing
of each interest, for BM25, tf-idf cosine, MiniLM cosine (sentence-transformers' default
encode), reciprocal-rank fusion of BM25 and MiniLM, and paperboy's ranker; then the effect of
feedback: the first three relevant papers of paperboy's own ranking are liked, and every
ranker is evaluated on the remaining papers.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from digest.models import Interest, InterestKind, Paper
from digest.ranking.embedding import paper_text
from digest.ranking.index import CorpusIndex, embed_sentences
from digest.ranking.ranker import ChannelProfile, HybridRanker
from digest.ranking.text import tokenize

__all__ = ["main", "ndcg_at", "paired_p_value", "precision_at"]

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


def _load(path: Path) -> tuple[list[Paper], dict[str, dict[str, str]], dict[str, dict[str, int]]]:
    papers = []
    for line in (path / "papers.jsonl").read_text().splitlines():
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
    queries = json.loads((path / "queries.json").read_text())
    qrels = json.loads((path / "qrels.json").read_text())
    return papers, queries, qrels


def _by_score(keys: Sequence[str], scores: np.ndarray) -> list[str]:
    order = sorted(range(len(keys)), key=lambda i: (-float(scores[i]), keys[i]))
    return [keys[i] for i in order]


def _rrf(*rankings: list[str], k: int = 60) -> list[str]:
    total: dict[str, float] = {}
    for ranking in rankings:
        for position, key in enumerate(ranking):
            total[key] = total.get(key, 0.0) + 1 / (k + position + 1)
    return sorted(total, key=lambda key: (-total[key], key))


def baselines(papers: Sequence[Paper]) -> dict[str, Ranking]:
    """BM25, tf-idf cosine, MiniLM cosine and their RRF over ``papers``."""
    from digest.ranking.minilm import sentence_transformer

    index = CorpusIndex(papers)
    keys = [p.key for p in papers]
    model = sentence_transformer()
    vectors = model.encode([paper_text(p) for p in papers], normalize_embeddings=True)

    def bm25(query: str) -> list[str]:
        return _by_score(keys, index.lexical(tokenize(query)))

    def tfidf(query: str) -> list[str]:
        return _by_score(keys, (index.tfidf @ index.tfidf_vector(query).T).toarray().ravel())

    def minilm(query: str) -> list[str]:
        return _by_score(keys, vectors @ model.encode([query], normalize_embeddings=True)[0])

    return {
        "BM25": bm25,
        "tf-idf": tfidf,
        "MiniLM cosine": minilm,
        "RRF(BM25,MiniLM)": lambda q: _rrf(bm25(q), minilm(q)),
    }


class Embedded:
    """Every paper's stored vectors, computed once, as paperboy keeps them in its database."""

    def __init__(self, ranker: HybridRanker, papers: Sequence[Paper]) -> None:
        self.vectors: dict[str, np.ndarray] = {}
        self.sentences: dict[str, np.ndarray] = {}
        if ranker.embedder is not None:
            whole = ranker.embedder.embed([paper_text(p) for p in papers])
            parts = embed_sentences(ranker.embedder, papers)
            for paper, vector, sentences in zip(papers, whole, parts, strict=True):
                self.vectors[paper.key] = vector
                self.sentences[paper.key] = sentences

    def index(self, ranker: HybridRanker, papers: Sequence[Paper]) -> CorpusIndex:
        if not self.vectors:
            return ranker.index(papers)
        return ranker.index(
            papers,
            vectors=np.vstack([self.vectors[p.key] for p in papers]),
            sentences=[self.sentences[p.key] for p in papers],
        )


def paperboy_ranking(
    ranker: HybridRanker,
    papers: Sequence[Paper],
    liked: Sequence[Paper] = (),
    embedded: Embedded | None = None,
) -> Ranking:
    index = (embedded or Embedded(ranker, papers)).index(ranker, papers)

    def rank(query: str) -> list[str]:
        profile = ChannelProfile(
            interests=(Interest(kind=InterestKind.QUERY, text=query),), liked=tuple(liked)
        )
        return [item.paper.key for item in ranker.score_index(index, profile)]

    return rank


def _table(title: str, rows: dict[str, dict[str, tuple[float, float]]], qids: list[str]) -> None:
    print(f"\n{title}")
    names = list(rows)
    print(f"{'interest':16}" + "".join(f"{n[:18]:>20}" for n in names))
    for qid in qids:
        print(
            f"{qid:16}"
            + "".join(f"{rows[n][qid][0]:>12.3f} /{rows[n][qid][1]:>5.2f}" for n in names)
        )
    means = {
        n: (np.mean([rows[n][q][0] for q in qids]), np.mean([rows[n][q][1] for q in qids]))
        for n in names
    }
    print(
        f"{'MEAN nDCG/P@10':16}"
        + "".join(f"{means[n][0]:>12.3f} /{means[n][1]:>5.2f}" for n in names)
    )


def evaluate(path: Path) -> dict[str, dict[str, float]]:
    from digest.ranking.minilm import MiniLmEmbedder

    papers, queries, qrels = _load(path)
    qids = sorted(queries)
    started = time.perf_counter()
    ranker = HybridRanker(MiniLmEmbedder())
    # int8 and bf16 vectors (chosen by the CPU) measure slightly differently: say which.
    print(f"paperboy ranks with {ranker.name}; {len(papers)} papers, {len(qids)} interests")
    embedded = Embedded(ranker, papers)
    systems = {**baselines(papers), "paperboy": paperboy_ranking(ranker, papers, (), embedded)}
    summary: dict[str, dict[str, float]] = {}
    for phrasing in ("short", "long"):
        rows: dict[str, dict[str, tuple[float, float]]] = {}
        for name, rank in systems.items():
            rows[name] = {}
            for qid in qids:
                ranked = rank(queries[qid][phrasing])
                rows[name][qid] = (ndcg_at(ranked, qrels[qid]), precision_at(ranked, qrels[qid]))
        label = "short query" if phrasing == "short" else "sentence"
        _table(f"== {label}: nDCG@10 / P@10 ==", rows, qids)
        _differences(rows, qids)
        for name in systems:
            summary.setdefault(name, {})[phrasing] = float(
                np.mean([rows[name][q][0] for q in qids])
            )
    plain, liked = _feedback_effect(ranker, embedded, papers, queries, qrels, qids)
    summary["paperboy, rest"], summary["paperboy, rest, 3 likes"] = plain, liked
    print(f"\n(evaluated in {time.perf_counter() - started:.1f} s)")
    return summary


def _differences(rows: dict[str, dict[str, tuple[float, float]]], qids: list[str]) -> None:
    """paperboy's nDCG@10 minus each baseline's, with the paired test's p-value."""
    ours = [rows["paperboy"][q][0] for q in qids]
    parts = []
    for name, scores in rows.items():
        if name != "paperboy":
            theirs = [scores[q][0] for q in qids]
            gap = float(np.mean(ours) - np.mean(theirs))
            parts.append(f"{name} {gap:+.3f} (p={paired_p_value(ours, theirs):.2f})")
    print("paperboy minus: " + ", ".join(parts))


def _feedback_effect(
    ranker: HybridRanker,
    embedded: Embedded,
    papers: list[Paper],
    queries: dict[str, dict[str, str]],
    qrels: dict[str, dict[str, int]],
    qids: list[str],
) -> tuple[dict[str, float], dict[str, float]]:
    """Mean nDCG@10 per phrasing on the rest, without and with the 3 likes."""
    print(
        "\n== feedback: 3 liked papers per interest (the first relevant ones paperboy "
        "ranked), evaluated on the rest =="
    )
    by_key = {p.key: p for p in papers}
    plain_means: dict[str, float] = {}
    result: dict[str, float] = {}
    for phrasing in ("short", "long"):
        before, after = [], []
        for qid in qids:
            query, grades = queries[qid][phrasing], qrels[qid]
            first = paperboy_ranking(ranker, papers, (), embedded)(query)
            liked = [k for k in first if grades.get(k, 0) > 0][:3]
            rest = [p for p in papers if p.key not in liked]
            rest_grades = {k: g for k, g in grades.items() if k not in liked}
            plain = paperboy_ranking(ranker, rest, (), embedded)(query)
            tuned = paperboy_ranking(ranker, rest, [by_key[k] for k in liked], embedded)(query)
            before.append(ndcg_at(plain, rest_grades))
            after.append(ndcg_at(tuned, rest_grades))
        without, with_likes = np.mean(before), np.mean(after)
        print(f"{phrasing:6} without feedback {without:.3f}  with 3 likes {with_likes:.3f}")
        plain_means[phrasing] = float(without)
        result[phrasing] = float(with_likes)
    return plain_means, result


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1 or not (Path(args[0]) / "qrels.json").exists():
        print(
            "usage: python -m bot.evaluate PATH  (a folder with papers.jsonl, queries.json, "
            "qrels.json)",
            file=sys.stderr,
        )
        return 2
    summary = evaluate(Path(args[0]))
    print("\n== summary: mean nDCG@10 (short / sentence) ==")
    for name, values in summary.items():
        print(f"{name:22} {values['short']:.3f} / {values['long']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
