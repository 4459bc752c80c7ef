"""BM25 over title + abstract, the title counted twice: the lexical half of the ranking."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from digest.models import Paper
from digest.ranking.text import tokenize

__all__ = ["Bm25Index", "paper_tokens"]

TITLE_WEIGHT = 2


def paper_tokens(paper: Paper) -> list[str]:
    return tokenize(paper.title) * TITLE_WEIGHT + tokenize(paper.abstract)


class Bm25Index:
    """Okapi BM25 (k1=1.2, b=0.75) with scores normalised to [0, 1) per query.

    Normalised: each query term contributes idf-weighted saturated term frequency divided by
    (k1 + 1), and the sum is divided by the query's total idf. A paper matching every query
    word many times scores near 1; one matching none scores 0. That makes a threshold mean the
    same thing on a busy day and a quiet one.
    """

    def __init__(self, papers: Sequence[Paper], *, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self._docs = [Counter(paper_tokens(p)) for p in papers]
        self._lengths = [sum(doc.values()) for doc in self._docs]
        self._avg_length = (sum(self._lengths) / len(self._lengths)) if self._lengths else 1.0
        df: Counter[str] = Counter()
        for doc in self._docs:
            df.update(doc.keys())
        n = len(self._docs)
        self._idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self._default_idf = math.log(1 + (n + 0.5) / 0.5)

    def __len__(self) -> int:
        return len(self._docs)

    def idf(self, term: str) -> float:
        return self._idf.get(term, self._default_idf)

    def term_weight(self, doc_index: int, term: str) -> float:
        """Saturated, length-normalised frequency of ``term`` in a paper, in [0, 1)."""
        tf = self._docs[doc_index].get(term, 0)
        if not tf:
            return 0.0
        norm = self.k1 * (1 - self.b + self.b * self._lengths[doc_index] / self._avg_length)
        return tf / (tf + norm)

    def score(self, doc_index: int, query_terms: Sequence[str]) -> float:
        unique = list(dict.fromkeys(query_terms))
        total = sum(self.idf(t) for t in unique)
        if not total:
            return 0.0
        return sum(self.idf(t) * self.term_weight(doc_index, t) for t in unique) / total

    def contains(self, doc_index: int, term: str) -> bool:
        return term in self._docs[doc_index]
