"""A day's candidate papers prepared once for ranking many channels.

BM25 term weights live in a sparse matrix (papers x vocabulary), so scoring a query is one
sparse column slice and a dot product; dense vectors live in one float32 matrix, so scoring
is one matrix-vector product. Both are built once per day, never per channel.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar, cast

import numpy as np
import numpy.typing as npt
from scipy import sparse

from digest.authors import any_author_matches
from digest.models import Paper
from digest.ranking.acronyms import BASE_ACRONYMS, acronym_spellings, mine_acronyms
from digest.ranking.embedding import Embedder, Matrix, paper_text
from digest.ranking.text import tokenize

__all__ = ["TITLE_WEIGHT", "CorpusIndex", "Scores", "Vector", "embed_sentences", "split_sentences"]

TITLE_WEIGHT = 2
Vector = npt.NDArray[np.float32]
T = TypeVar("T")
# Per-paper scores: float32 where they come from the vectors (half the memory traffic of
# float64 in the elementwise steps that dominate ranking), float64 elsewhere.
Scores = npt.NDArray[np.floating[Any]]
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")


def author_match(paper: Paper, name: str) -> bool:
    """ "LeCun", "Yann LeCun", "Y. LeCun" and "LeCun, Yann" all match Yann LeCun; accents
    and initials are forgiven (``digest.authors``)."""
    return any_author_matches(paper.authors, name)


def split_sentences(paper: Paper) -> list[str]:
    """The title and the abstract's sentences (short fragments dropped)."""
    parts = [s.strip() for s in _SENTENCE.split(paper.abstract) if len(s.strip()) > 20]
    return [paper.title, *parts]


def embed_sentences(embedder: Embedder, papers: Sequence[Paper]) -> list[Matrix]:
    """One matrix per paper, a row per sentence, from a single batched call."""
    texts: list[str] = []
    sizes: list[int] = []
    for paper in papers:
        parts = split_sentences(paper)
        texts.extend(parts)
        sizes.append(len(parts))
    flat = embedder.embed(texts)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    return [flat[offsets[i] : offsets[i + 1]] for i in range(len(papers))]


def _mean_of_two_best(
    values: Scores, firsts: npt.NDArray[np.int64], sizes: npt.NDArray[np.int64]
) -> Scores:
    """Per group of consecutive rows (starting at ``firsts``, ``sizes`` long, none empty) and
    per column: the mean of the two largest values, or the value of a one-row group. The
    best, then the best of the rest, so no sort."""
    best = np.maximum.reduceat(values, firsts, axis=0)
    is_best = values == np.repeat(best, sizes, axis=0)
    ties = np.add.reduceat(is_best, firsts, axis=0)  # a best shared by two rows is also 2nd
    second = np.maximum.reduceat(np.where(is_best, -np.inf, values), firsts, axis=0)
    second = np.where(ties > 1, best, second)
    return np.where(np.isfinite(second), (best + second) / 2, best)


# Below this many papers a day's "common directions" would be its topics, not its genre.
MIN_PAPERS_FOR_COMMON = 20


@dataclass(frozen=True, slots=True)
class _Projected:
    """Unit vectors seen without some directions: their components along them and the norm
    of what is left, so adjusted cosines need no second copy of the vectors. Kept in float32
    like the vectors: adjusting is elementwise work over every paper, bound by memory."""

    basis: npt.NDArray[np.float64]  # (k, dim), orthonormal rows
    components: npt.NDArray[np.float32]  # (n, k)
    rest: npt.NDArray[np.float32]  # (n,)

    @classmethod
    def of(cls, vectors: Matrix, basis: npt.NDArray[np.float64]) -> _Projected:
        components = vectors.astype(np.float64) @ basis.T
        rest = np.sqrt(np.clip(1.0 - (components**2).sum(axis=1), 1e-6, None))
        return cls(basis, components.astype(np.float32), rest.astype(np.float32))

    def adjust(
        self, raw: Scores, queries: Matrix, rows: npt.NDArray[np.int64] | None = None
    ) -> Scores:
        """Plain cosines (vectors at ``rows`` x ``queries``) turned into the cosines of both
        without the basis (a new array)."""
        along = queries.astype(np.float64) @ self.basis.T  # (queries, k)
        query_rest = np.sqrt(np.clip(1.0 - (along**2).sum(axis=1), 1e-6, None))
        components = self.components if rows is None else self.components[rows]
        rest = self.rest if rows is None else self.rest[rows]
        adjusted = raw - components @ along.T.astype(np.float32)
        adjusted /= rest[:, None]
        adjusted /= query_rest.astype(np.float32)[None, :]
        return adjusted

    def remove(self, vectors: Matrix) -> Matrix:
        """Unit ``vectors`` without the basis, renormalised."""
        data = vectors.astype(np.float64)
        data -= (data @ self.basis.T) @ self.basis
        norms = np.linalg.norm(data, axis=1, keepdims=True)
        return (data / np.clip(norms, 1e-6, None)).astype(np.float32)


@dataclass(frozen=True, slots=True)
class Directions:
    """What a day's papers share, removed before comparing them with a query.

    Sentence embeddings of one field's papers all lean the same way (the mean direction:
    "a machine-learning paper") and vary most along one axis; both carry little about any
    one interest but inflate every cosine. Comparing without them ("all-but-the-top", Mu &
    Viswanath, ICLR 2018) lets the distinctive part of each paper decide the order; in
    ``make eval`` it lifted sentence interests from 0.760 to 0.807 nDCG@10.
    """

    papers: _Projected
    sentences: _Projected | None

    @classmethod
    def of(cls, vectors: Matrix, sentences: Matrix | None) -> Directions:
        data = vectors.astype(np.float64)
        mean = data.mean(axis=0)
        top = np.linalg.svd(data - mean, full_matrices=False)[2][:1]
        basis = np.linalg.qr(np.vstack([mean, top]).T)[0].T  # orthonormal: mean, then axis
        return cls(
            papers=_Projected.of(vectors, basis),
            sentences=_Projected.of(sentences, basis) if sentences is not None else None,
        )


class CorpusIndex:
    def __init__(
        self,
        papers: Sequence[Paper],
        *,
        vectors: Matrix | None = None,
        sentences: Sequence[Matrix] | None = None,
        embedder: Embedder | None = None,
        acronyms: Mapping[str, tuple[str, ...]] | None = None,
        neighbours: int = 10,
        k1: float = 1.2,
        b: float = 0.75,
    ) -> None:
        """``vectors`` (one per paper) and ``sentences`` (one matrix per paper: its title and
        abstract sentences) are the stored embeddings; missing ones are computed with
        ``embedder``."""
        self.papers = list(papers)
        self.rows = {p.key: i for i, p in enumerate(self.papers)}
        self._cache: dict[tuple[object, ...], npt.NDArray[Any]] = {}
        self._memo: dict[tuple[object, ...], object] = {}
        self.texts = [f"{p.title} {p.abstract}".lower() for p in self.papers]
        base = dict(BASE_ACRONYMS if acronyms is None else acronyms)
        self.acronyms = {**mine_acronyms(p.abstract for p in self.papers), **base}
        self._build_lexical(k1, b)
        self.embedder = embedder
        if vectors is None and embedder is not None and self.papers:
            vectors = embedder.embed([paper_text(p) for p in self.papers])
        if vectors is not None and len(vectors) != len(self.papers):
            raise ValueError("one vector per paper is needed")
        self.vectors = vectors
        if sentences is None and embedder is not None and self.papers:
            sentences = embed_sentences(embedder, self.papers)
        self.sentence_vectors: Matrix | None = None
        self.sentence_owner: npt.NDArray[np.int64] | None = None
        self.sentence_offsets: npt.NDArray[np.int64] | None = None
        if sentences is not None and vectors is not None:
            sizes = np.array([len(m) for m in sentences], dtype=np.int64)
            self.sentence_offsets = np.concatenate([[0], np.cumsum(sizes)])
            self.sentence_owner = np.repeat(np.arange(len(sentences)), sizes)
            self.sentence_vectors = np.vstack(sentences).astype(np.float32) if sizes.sum() else None
        self._common: Directions | None = None
        if vectors is not None and len(vectors) >= MIN_PAPERS_FOR_COMMON:
            self._common = Directions.of(vectors, self.sentence_vectors)
        self.neighbours = self._neighbours(neighbours) if vectors is not None else None
        # The mean over each paper's neighbours as one sparse product (rows average them).
        self.neighbour_mean: sparse.csr_matrix | None = None
        if self.neighbours is not None:
            n, k = self.neighbours.shape
            self.neighbour_mean = sparse.csr_matrix(
                (
                    np.full(n * k, 1.0 / k, dtype=np.float32),
                    self.neighbours.ravel(),
                    np.arange(0, n * k + 1, k),
                ),
                shape=(n, n),
            )

    # --- cached per-day features: computed once, reused by every channel -------------------
    def memoized(self, key: tuple[object, ...]) -> bool:
        return key in self._memo

    def memo(self, key: tuple[object, ...], compute: Callable[[], T]) -> T:
        """A value computed once per index (a day's papers) and shared by every channel."""
        if key not in self._memo:
            self._memo[key] = compute()
        return cast(T, self._memo[key])

    def recall(self, key: tuple[object, ...]) -> Any:
        """The value remembered or memoised under ``key``, or None."""
        return self._memo.get(key)

    def remember(self, key: tuple[object, ...], value: T) -> None:
        """Stores a value computed ahead, for a later ``memo`` of the same key."""
        self._memo.setdefault(key, value)

    @property
    def acronym_spellings(self) -> Mapping[str, str]:
        """How the day's papers write the acronyms they define (for explanations only, so
        worked out on first use)."""
        return self.memo(("spellings",), lambda: acronym_spellings(p.abstract for p in self.papers))

    def mentions(self, term: str) -> npt.NDArray[np.bool_]:
        """Which papers contain ``term`` (lower case) as a whole word or phrase."""
        key = ("mentions", term)
        if key not in self._cache:
            pattern = re.compile(rf"(?<!\w){re.escape(term)}(?!\w)")
            self._cache[key] = np.array([bool(pattern.search(t)) for t in self.texts], dtype=bool)
        return self._cache[key]

    def by_author(self, name: str) -> npt.NDArray[np.bool_]:
        key = ("author", name.lower())
        if key not in self._cache:
            self._cache[key] = np.array([author_match(p, name) for p in self.papers], dtype=bool)
        return self._cache[key]

    def in_category(self, category: str) -> npt.NDArray[np.bool_]:
        wanted = category.lower()
        key = ("category", wanted)
        if key not in self._cache:
            self._cache[key] = np.array(
                [
                    any(
                        c.lower() == wanted or c.lower().startswith(wanted + ".")
                        for c in p.categories
                    )
                    for p in self.papers
                ],
                dtype=bool,
            )
        return self._cache[key]

    def prior_bonus(
        self, *, upvotes: bool, recency: bool, code: bool, today: date | None
    ) -> Scores:
        """Small boosts (in z units) a user expects: HF upvotes, freshness, code available."""
        key = ("priors", upvotes, recency, code, today)
        if key not in self._cache:
            bonus = np.zeros(len(self.papers))
            for row, paper in enumerate(self.papers):
                if upvotes and paper.upvotes:
                    bonus[row] += 0.3 * min(1.0, math.log1p(paper.upvotes) / math.log(101))
                if recency and today and paper.published:
                    age = (today - paper.published).days
                    bonus[row] += 0.15 * max(0.0, 1 - age / 14) if age >= 0 else 0.0
                if code and paper.code_url:
                    bonus[row] += 0.1
            self._cache[key] = bonus
        return self._cache[key]

    def _neighbours(self, k: int) -> npt.NDArray[np.int64] | None:
        """Each paper's ``k`` most similar papers (for score smoothing), in row blocks so
        memory stays flat for tens of thousands of papers. Similar by their distinctive
        parts: papers that merely share the day's genre are not neighbours."""
        assert self.vectors is not None
        n = len(self.vectors)
        k = min(k, n - 1)
        if k < 1:
            return None
        out = np.zeros((n, k), dtype=np.int64)
        components = rest = None
        if self._common is not None:  # float32 and in place: no block-sized temporaries
            components = self._common.papers.components
            rest = self._common.papers.rest
        for start in range(0, n, 2048):
            block = self.vectors[start : start + 2048] @ self.vectors.T
            if components is not None and rest is not None:
                rows = slice(start, start + 2048)
                block -= components[rows] @ components.T
                block /= rest[rows, None]
                block /= rest[None, :]
            block[np.arange(len(block)), np.arange(start, start + len(block))] = -np.inf
            top = np.argpartition(-block, k - 1, axis=1)[:, :k]
            out[start : start + len(block)] = top
        return out

    def cosines(self, queries: Matrix, *, distinctive: bool = False) -> Scores:
        """Every paper's cosine to each of ``queries`` (a row each), papers x queries in one
        matrix product; ``distinctive`` measures them without the day's common directions
        (see ``Directions``), which orders papers better but reads lower."""
        assert self.vectors is not None
        raw = self.vectors @ queries.T
        return self.distinctive(raw, queries) if distinctive else raw

    def distinctive_vectors(self, vectors: Matrix | None = None) -> Matrix:
        """``vectors`` (default: every paper's, computed once) without the day's common
        directions: features for models that learn what a channel likes."""
        assert self.vectors is not None
        if self._common is None:
            return self.vectors if vectors is None else vectors
        if vectors is None:
            return self.memo(
                ("distinctive vectors",), lambda: self.distinctive_vectors(self.vectors)
            )
        return self._common.papers.remove(vectors)

    def distinctive(self, cosines: Scores, queries: Matrix) -> Scores:
        """Plain ``cosines`` (papers x queries) turned distinctive (a new array)."""
        if self._common is None:
            return cosines.copy()
        return self._common.papers.adjust(cosines, queries)

    def sentence_scores(
        self,
        queries: Matrix,
        rows: npt.NDArray[np.int64],
        *,
        distinctive: Sequence[bool] | bool = False,
    ) -> Scores:
        """Each paper at ``rows`` scored by the mean of its two best sentence cosines to each
        of ``queries`` (rows x queries; a paper without sentences scores its whole-text
        cosine). The papers' sentences are gathered once for every query; ``distinctive``
        (one flag, or one per query) measures without the day's common directions."""
        assert self.sentence_vectors is not None and self.sentence_offsets is not None
        assert self.vectors is not None
        queries = np.atleast_2d(queries)
        flags = np.broadcast_to(np.asarray(distinctive, dtype=bool), (len(queries),))
        if self._common is None:
            flags = np.zeros(len(queries), dtype=bool)
        rows = np.asarray(rows, dtype=np.int64)
        starts = self.sentence_offsets[rows]
        sizes = self.sentence_offsets[rows + 1] - starts
        result = self.vectors[rows] @ queries.T
        if flags.any():
            assert self._common is not None
            result[:, flags] = self._common.papers.adjust(result[:, flags], queries[flags], rows)
        has = sizes > 0
        if not has.any():
            return result
        # Every sentence of the wanted papers, grouped by paper (in the order of ``rows``).
        firsts = np.cumsum(sizes) - sizes  # where each paper's sentences start
        members = np.repeat(starts - firsts, sizes) + np.arange(int(sizes.sum()))
        cosines = self.sentence_vectors[members] @ queries.T
        if flags.any():
            assert self._common is not None and self._common.sentences is not None
            cosines[:, flags] = self._common.sentences.adjust(
                cosines[:, flags], queries[flags], members
            )
        result[has] = _mean_of_two_best(cosines, firsts[has], sizes[has])
        return result

    def __len__(self) -> int:
        return len(self.papers)

    def _build_lexical(self, k1: float, b: float) -> None:
        vocabulary: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        counts: list[float] = []
        lengths = np.zeros(len(self.papers), dtype=np.float64)
        for row, paper in enumerate(self.papers):
            bag = Counter(tokenize(paper.title) * TITLE_WEIGHT + tokenize(paper.abstract))
            lengths[row] = sum(bag.values())
            for term, count in bag.items():
                rows.append(row)
                cols.append(vocabulary.setdefault(term, len(vocabulary)))
                counts.append(count)
        self.vocabulary = vocabulary
        n = len(self.papers)
        tf = sparse.csr_matrix((counts, (rows, cols)), shape=(n, len(vocabulary)), dtype=np.float64)
        df = np.bincount(np.asarray(cols, dtype=np.int64), minlength=len(vocabulary))
        self.idf = np.log1p((n - df + 0.5) / (df + 0.5))
        self.unknown_idf = math.log1p((n + 0.5) / 0.5)
        average = lengths.mean() if n else 1.0
        norm = k1 * (1 - b + b * lengths / (average or 1.0))
        # Saturated term weight tf / (tf + norm): in [0, 1), BM25 up to the (k1 + 1) factor.
        saturated = tf.tocoo()
        values = saturated.data / (saturated.data + norm[saturated.row])
        self.weights = sparse.csc_matrix(
            (values, (saturated.row, saturated.col)), shape=tf.shape, dtype=np.float64
        )
        self.tfidf = self._tfidf(tf)

    def _tfidf(self, tf: sparse.csr_matrix) -> sparse.csr_matrix:
        logged = tf.copy()
        logged.data = 1 + np.log(logged.data)
        weighted = logged @ sparse.diags(self.idf)
        norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sparse.csr_matrix(sparse.diags(1 / norms) @ weighted)

    def lexical(self, terms: Sequence[str]) -> Scores:
        """Normalised BM25 of every paper for a query's terms, in [0, 1)."""
        unique = list(dict.fromkeys(terms))
        if not unique or not self.papers:
            return np.zeros(len(self.papers))
        known = [self.vocabulary[t] for t in unique if t in self.vocabulary]
        total = sum(
            self.idf[self.vocabulary[t]] if t in self.vocabulary else self.unknown_idf
            for t in unique
        )
        if not known:
            return np.zeros(len(self.papers))
        scores = self.weights[:, known] @ self.idf[known]
        return np.asarray(scores).ravel() / total

    def contains_all(self, stems: Sequence[str]) -> npt.NDArray[np.bool_]:
        """Which papers contain every one of ``stems`` (read off the BM25 matrix)."""
        key = ("stems", *stems)
        if key not in self._cache:
            found = np.ones(len(self.papers), dtype=bool)
            for stem in stems:
                column = self.vocabulary.get(stem)
                has = np.zeros(len(self.papers), dtype=bool)
                if column is not None:
                    start, end = self.weights.indptr[column], self.weights.indptr[column + 1]
                    has[self.weights.indices[start:end]] = True
                found &= has
            self._cache[key] = found
        return self._cache[key]

    def tfidf_vector(self, text: str) -> sparse.csr_matrix:
        bag = Counter(t for t in tokenize(text) if t in self.vocabulary)
        if not bag:
            return sparse.csr_matrix((1, len(self.vocabulary)))
        cols = [self.vocabulary[t] for t in bag]
        values = np.array(
            [(1 + math.log(c)) * self.idf[self.vocabulary[t]] for t, c in bag.items()]
        )
        values /= np.linalg.norm(values) or 1.0
        return sparse.csr_matrix((values, ([0] * len(cols), cols)), shape=(1, len(self.vocabulary)))

    def similarity_to(self, paper: Paper) -> Scores:
        """How much every paper resembles ``paper`` (cosine: dense when vectors exist)."""
        row = self.rows.get(paper.key)
        if self.vectors is not None:
            if row is not None:
                query = self.vectors[row]
            elif self.embedder is not None:
                query = self.embedder.embed([paper_text(paper)])[0]
            else:
                return np.asarray(
                    self.tfidf @ self.tfidf_vector(paper_text(paper)).T.toarray()
                ).ravel()
            return (self.vectors @ query).astype(np.float64)
        vector = self.tfidf[row] if row is not None else self.tfidf_vector(paper_text(paper))
        return np.asarray((self.tfidf @ vector.T).toarray()).ravel()
