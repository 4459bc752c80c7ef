"""paperboy as a system under evaluation: stored vectors, rankings, scores per interest."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bot.evaluation.metrics import JudgedSet, Ranking, ndcg_at, precision_at
from digest.models import Interest, InterestKind, Paper
from digest.ranking.embedding import paper_text
from digest.ranking.index import CorpusIndex, embed_sentences
from digest.ranking.ranker import ChannelProfile, HybridRanker

__all__ = ["PHRASINGS", "Embedded", "paperboy_ranking", "score_interests"]


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

    @classmethod
    def of(cls, vectors: dict[str, np.ndarray], sentences: dict[str, np.ndarray]) -> Embedded:
        """Vectors computed elsewhere (another model input, say)."""
        made = cls.__new__(cls)
        made.vectors, made.sentences = vectors, sentences
        return made

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
    disliked: Sequence[Paper] = (),
) -> Ranking:
    index = (embedded or Embedded(ranker, papers)).index(ranker, papers)

    def rank(query: str) -> list[str]:
        profile = ChannelProfile(
            interests=(Interest(kind=InterestKind.QUERY, text=query),),
            liked=tuple(liked),
            disliked=tuple(disliked),
        )
        return [item.paper.key for item in ranker.score_index(index, profile)]

    return rank


# The settings cross-validation chooses among, the shipped defaults first (ties go to them).
# Each is a HybridRanker's keyword arguments over its defaults.
PHRASINGS = ("short", "long")


def score_interests(
    rank: Ranking, judged: JudgedSet, qids: Sequence[str]
) -> dict[str, tuple[float, float]]:
    """(nDCG@10, P@10) per "interest/phrasing"."""
    result = {}
    for qid in qids:
        for phrasing in PHRASINGS:
            ranked = rank(judged.queries[qid][phrasing])
            grades = judged.qrels[qid]
            result[f"{qid}/{phrasing}"] = (ndcg_at(ranked, grades), precision_at(ranked, grades))
    return result
