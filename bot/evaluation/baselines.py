"""The simple rankers every table keeps beside paperboy: BM25, tf-idf with word pairs,
MiniLM cosine (sentence-transformers' default encode), and RRF of BM25 and MiniLM."""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np
from scipy import sparse

from bot.evaluation.metrics import Ranking
from digest.models import Paper
from digest.ranking.embedding import paper_text
from digest.ranking.index import CorpusIndex
from digest.ranking.text import tokenize

__all__ = ["baselines", "tfidf_bigrams"]


def _by_score(keys: Sequence[str], scores: np.ndarray) -> list[str]:
    order = sorted(range(len(keys)), key=lambda i: (-float(scores[i]), keys[i]))
    return [keys[i] for i in order]


def _rrf(*rankings: list[str], k: int = 60) -> list[str]:
    total: dict[str, float] = {}
    for ranking in rankings:
        for position, key in enumerate(ranking):
            total[key] = total.get(key, 0.0) + 1 / (k + position + 1)
    return sorted(total, key=lambda key: (-total[key], key))


_WORDS = re.compile(r"[a-z0-9]{2,}")


def _grams(text: str) -> list[str]:
    """Words and adjacent word pairs, lower-cased (scikit-learn's default tokens)."""
    words = _WORDS.findall(text.lower())
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


def tfidf_bigrams(papers: Sequence[Paper]) -> Ranking:
    """tf-idf over words and word pairs, sublinear tf, smoothed idf, cosine: what
    ``TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)`` computes."""
    keys = [p.key for p in papers]
    bags = [Counter(_grams(paper_text(p))) for p in papers]
    vocabulary: dict[str, int] = {}
    rows, cols, values = [], [], []
    for row, bag in enumerate(bags):
        for gram, count in bag.items():
            rows.append(row)
            cols.append(vocabulary.setdefault(gram, len(vocabulary)))
            values.append(1 + math.log(count))
    df = np.bincount(np.asarray(cols, dtype=np.int64), minlength=len(vocabulary))
    idf = np.log((1 + len(papers)) / (1 + df)) + 1
    matrix = sparse.csr_matrix((values, (rows, cols)), shape=(len(papers), len(vocabulary)))
    matrix = sparse.csr_matrix(matrix @ sparse.diags(idf))
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    matrix = sparse.csr_matrix(sparse.diags(1 / np.where(norms > 0, norms, 1)) @ matrix)

    def rank(query: str) -> list[str]:
        bag = Counter(g for g in _grams(query) if g in vocabulary)
        vector = np.zeros(len(vocabulary))
        for gram, count in bag.items():
            vector[vocabulary[gram]] = (1 + math.log(count)) * idf[vocabulary[gram]]
        return _by_score(keys, matrix @ vector)

    return rank


def baselines(papers: Sequence[Paper]) -> dict[str, Ranking]:
    """BM25, tf-idf with bigrams, MiniLM cosine and RRF of BM25 and MiniLM over ``papers``."""
    from digest.ranking.minilm import sentence_transformer

    index = CorpusIndex(papers)
    keys = [p.key for p in papers]
    model = sentence_transformer()
    vectors = model.encode([paper_text(p) for p in papers], normalize_embeddings=True)

    def bm25(query: str) -> list[str]:
        return _by_score(keys, index.lexical(tokenize(query)))

    def minilm(query: str) -> list[str]:
        return _by_score(keys, vectors @ model.encode([query], normalize_embeddings=True)[0])

    return {
        "BM25": bm25,
        "tf-idf 1-2 grams": tfidf_bigrams(papers),
        "MiniLM cosine": minilm,
        "RRF(BM25,MiniLM)": lambda q: _rrf(bm25(q), minilm(q)),
    }
