"""Ranking a day's papers for one channel: interests, feedback, priors, explanations.

Per interest, a lexical score (normalised BM25 over title and abstract, acronyms expanded
both ways) and a dense score (cosine of sentence embeddings, the query refined once by
pseudo-relevance feedback) are fused on an absolute scale, so one threshold means the same
on a busy day and a quiet one. A channel's score for a paper is its best-matching interest,
weighted. Votes move each interest's query towards the papers liked for it, and train a
per-channel model on the papers' embeddings and words that counts more next to a short
interest than a sentence (see ``feedback``). Without an embedding model the same code ranks
lexically.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from digest.errors import UsageError
from digest.models import DigestItem, Interest, InterestKind, Paper
from digest.ranking.embedding import Embedder
from digest.ranking.feedback import DISLIKE_WEIGHT, FeedbackModel, paper_vectors, vote_weight
from digest.ranking.index import CorpusIndex, Scores
from digest.ranking.likes import TopicLikes
from digest.ranking.query import ParsedQuery, parse_query
from digest.ranking.text import tokenize
from digest.ranking.topk import best_per_column, best_with_ties, top, zscore
from digest.ranking.wording import display_words, expanded_query, spelled_out, variants

__all__ = [
    "ChannelProfile",
    "HybridRanker",
    "LexicalRanker",
    "Priors",
    "interest_key",
    "seed_ids",
]

SHORT_QUERY_WORDS = 3  # up to this many content words, a query is "short"
# The dense side's share of the absolute relevance that thresholds compare against: fixed
# (calibrated on MiniLM cosines and BM25), whatever the ordering's weights are.
RELEVANCE_DENSE_WEIGHT = 0.7
_BATCH = 64  # interests scored together by ``prepare``: (papers x 64) matrices stay small


@dataclass(frozen=True, kw_only=True, slots=True)
class Priors:
    """Signals a user expects besides topic match; each can be switched off per channel."""

    upvotes: bool = True
    recency: bool = True
    code: bool = True


@dataclass(frozen=True, kw_only=True, slots=True)
class ChannelProfile:
    interests: tuple[Interest, ...]
    liked: tuple[Paper, ...] = ()
    disliked: tuple[Paper, ...] = ()
    # Seed papers named by like:<id> interests, resolved by the caller.
    seeds: Mapping[str, Paper] = field(default_factory=dict)
    priors: Priors = field(default_factory=Priors)


@dataclass(frozen=True, kw_only=True, slots=True)
class _InterestScores:
    label: str
    order: Scores  # z units: comparable across interests of one day
    relevance: Scores  # absolute, in [0, 1]
    # Per query word: its forms as displayed, preferred first (an acronym, then its spelled-out
    # form), each with which papers contain all its stems. A paper is explained by the first
    # form it contains.
    words: tuple[tuple[tuple[str, npt.NDArray[np.bool_]], ...], ...] = ()
    verb: str = "matches"  # "similar to" for a seed paper: "similar to “Its Title”"
    # ``order`` where the paper is relevant at all, else -inf: what channels combine.
    gated: Scores = field(init=False, repr=False)
    # Rows of the best papers by ``gated`` plus a priors' bonus, by (limit, bonus key):
    # shared by every channel that follows the interest with the same priors.
    _best: dict[tuple[object, ...], npt.NDArray[np.int64]] = field(
        init=False, repr=False, default_factory=dict
    )
    _reasons: dict[int, str] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "gated", np.where(self.relevance > 0, self.order, -np.inf))

    def reason(self, row: int) -> str:
        """Why this interest matches the paper at ``row``: its words the paper contains, or
        its meaning. The same for every channel that follows the interest: kept."""
        why = self._reasons.get(row)
        if why is None:
            found = (
                next((form for form, contains in forms if contains[row]), None)
                for forms in self.words
            )
            matched = [form for form in found if form is not None]
            if matched:
                why = f"{self.verb} {self.label} ({', '.join(dict.fromkeys(matched))})"
            elif self.words:  # a topic interest matched by meaning, not by its words
                why = f"close in meaning to {self.label}"
            else:
                why = f"{self.verb} {self.label}"
            self._reasons[row] = why
        return why

    def best(
        self, limit: int, bonus: Scores, bonus_key: tuple[object, ...]
    ) -> npt.NDArray[np.int64]:
        """Rows of the best ``limit`` papers by ``gated + bonus`` (unordered, ties kept)."""
        key = (limit, *bonus_key)
        if key not in self._best:
            self._best[key] = best_with_ties(self.gated + bonus, limit)
        return self._best[key]

    @classmethod
    def absolute(cls, label: str, relevance: Scores, verb: str = "matches") -> _InterestScores:
        """For yes/no matches (author, category) and seeds: order follows relevance."""
        return cls(label=label, order=3.0 * relevance, relevance=relevance, verb=verb)


class HybridRanker:
    """Lexical + semantic ranking. ``embedder=None`` gives the lexical-only mode.

    Per interest: normalised BM25 (acronyms expanded both ways) and embedding cosine are
    z-scored over the day's papers and blended (dense weight 0.5, chosen by cross-validation
    over 53 judged interests: `make eval`); the query is refined once
    by Rocchio pseudo-relevance feedback; the best candidates are re-scored by their best
    matching sentences; and scores are smoothed over each paper's nearest neighbours (papers
    on the same topic tend to be relevant together). That orders papers. Separately an
    absolute relevance in [0, 1] (rescaled cosine and BM25) decides the threshold, so a weak
    day yields a shorter digest instead of the best of a bad lot.
    """

    def __init__(
        self,
        embedder: Embedder | None = None,
        *,
        dense_weight: float = 0.5,
        prf_depth: int = 5,
        prf_weight: float = 0.25,
        sentence_depth: int = 100,
        sentence_mix: float = 0.5,
        smoothing: float = 0.3,
        short_dense_weight: float | None = None,
        feedback_per_vote: float = 0.0,
        feedback_short_per_vote: float = 0.2,
        feedback_max: float = 0.5,
        feedback_dislike: float = DISLIKE_WEIGHT,
        feedback_lexical: float = 0.5,
        likes_query_weight: float = 1.0,
    ) -> None:
        self.embedder = embedder
        self.name = f"hybrid:{embedder.name}" if embedder else "lexical"
        self.dense_weight = dense_weight
        self.prf_depth = prf_depth
        self.prf_weight = prf_weight
        self.sentence_depth = sentence_depth
        self.sentence_mix = sentence_mix
        self.smoothing = smoothing
        self.short_dense_weight = short_dense_weight
        self.feedback_per_vote = feedback_per_vote
        self.feedback_max = feedback_max
        self.feedback_short_per_vote = feedback_short_per_vote
        self.feedback_dislike = feedback_dislike
        self.feedback_lexical = feedback_lexical
        self.likes_query_weight = likes_query_weight
        self._query_vectors: dict[str, npt.NDArray[np.float32]] = {}

    def index(
        self,
        papers: Sequence[Paper],
        vectors: npt.NDArray[np.float32] | None = None,
        sentences: Sequence[npt.NDArray[np.float32]] | None = None,
    ) -> CorpusIndex:
        return CorpusIndex(papers, vectors=vectors, sentences=sentences, embedder=self.embedder)

    def score(
        self, papers: Sequence[Paper], profile: ChannelProfile, *, today: date | None = None
    ) -> list[DigestItem]:
        return self.score_index(self.index(papers), profile, today=today)

    def embed_query(self, text: str) -> npt.NDArray[np.float32]:
        """Interests change rarely: their vectors are cached by text."""
        assert self.embedder is not None
        vector = self._query_vectors.get(text)
        if vector is None:
            if len(self._query_vectors) > 50_000:
                self._query_vectors.clear()
            vector = self._query_vectors[text] = self.embedder.embed([text])[0]
        return vector

    # ---------------------------------------------------------------------------------------
    def score_index(
        self,
        index: CorpusIndex,
        profile: ChannelProfile,
        *,
        today: date | None = None,
        limit: int | None = None,
        keep_per_interest: int = 0,
    ) -> list[DigestItem]:
        """Papers scored with an explanation, best first (ties broken by key): all of them,
        or the best ``limit`` (much cheaper when a day has tens of thousands), plus each
        interest's own best ``keep_per_interest``, so a digest can give every interest its
        places even when another interest's papers fill the best ``limit``."""
        n = len(index)
        if not n:
            return []
        excluded = self._excluded(index, profile)
        max_weight = max((i.weight for i in profile.interests), default=1.0) or 1.0
        likes = self._likes_per_topic(index, profile)
        per_interest = [
            (interest, self._cached_interest_scores(index, interest, profile, likes.get(interest)))
            for interest in profile.interests
            if interest.kind != InterestKind.EXCLUSION
        ]
        feedback = FeedbackModel.train(
            index,
            profile.liked,
            profile.disliked,
            dislike=self.feedback_dislike,
            lexical=self.feedback_lexical,
        )
        priors = profile.priors
        bonus = index.prior_bonus(
            upvotes=priors.upvotes, recency=priors.recency, code=priors.code, today=today
        )
        # Which papers to score: all of them, or (for the best ``limit``, without votes or
        # exclusions) only each interest's own best ``limit``, which provably hold them.
        rows = np.arange(n)
        if limit is not None and limit < n and feedback is None and not excluded.any():
            rows = self._candidates(n, per_interest, bonus, limit, (priors, today))
        total, relevance, best_of = self._combine(per_interest, max_weight, rows)
        resembles: npt.NDArray[np.int64] | None = None
        if feedback is not None:
            base = np.where(np.isfinite(total), total, np.nan)
            floor = np.nanmin(base) if np.isfinite(base).any() else 0.0
            base = np.where(np.isfinite(total), total, floor)
            weight = self._feedback_weights(per_interest, best_of(np.arange(len(rows))), feedback)
            total = (1 - weight) * base + weight * feedback.order[rows]
            relevance = np.maximum(relevance, feedback.relevance)
            resembles = feedback.nearest_liked
        total = total + bonus[rows]
        relevance = np.where(excluded[rows], 0.0, relevance)
        order = np.where(relevance > 0, total, -np.inf)
        shown = np.arange(len(rows))  # positions in ``rows``
        if limit is not None and limit < len(rows):
            shown = best_with_ties(np.where(np.isnan(order), -np.inf, order), limit)
            if keep_per_interest:
                shown = np.union1d(
                    shown,
                    self._best_per_interest(per_interest, rows, excluded, bonus, keep_per_interest),
                )
        best = best_of(shown).tolist()
        items = []
        for position, winner in zip(shown.tolist(), best, strict=True):
            row = int(rows[position])
            paper = index.papers[row]
            why = self._explain(
                row, per_interest, winner, feedback, resembles, bool(excluded[row]), profile
            )
            # The ordering score, squashed to (0, 1) so it reads like a score.
            value = float(order[position])
            score = 1 / (1 + math.exp(-(value - 2))) if math.isfinite(value) else 0.0
            items.append(
                DigestItem(
                    paper=paper,
                    score=round(score, 6),
                    why=why,
                    relevance=round(float(relevance[position]), 6),
                    interest=interest_key(per_interest[winner][0]) if winner >= 0 else None,
                )
            )
        items.sort(key=lambda item: (-item.score, -(item.relevance or 0.0), item.paper.key))
        return items if keep_per_interest else items[:limit]

    def _feedback_weights(
        self,
        per_interest: Sequence[tuple[Interest, _InterestScores | None]],
        winners: npt.NDArray[np.int64],
        feedback: FeedbackModel,
    ) -> Scores:
        """How much the votes count for each paper, by the interest it matches best: more
        next to a short interest (a few words say less about what is wanted than the votes
        do) than next to a sentence. A paper no interest matches takes the largest."""
        weights = np.array(
            [
                vote_weight(feedback.votes, self._per_vote_for(interest), self.feedback_max)
                for interest, _ in per_interest
            ]
            or [0.0]
        )
        largest = float(weights.max())
        return np.where(winners >= 0, weights[np.maximum(winners, 0)], largest)

    def _per_vote_for(self, interest: Interest) -> float:
        """A sentence-long topic takes the votes less to heart than a short one (or than an
        author, a category or a seed, which say little about the topic)."""
        parsed = _parse(interest.text) if interest.kind == InterestKind.QUERY else None
        sentence = parsed is not None and len(tokenize(parsed.text)) > SHORT_QUERY_WORDS
        return self.feedback_per_vote if sentence else self.feedback_short_per_vote

    @staticmethod
    def _best_per_interest(
        per_interest: Sequence[tuple[Interest, _InterestScores | None]],
        rows: npt.NDArray[np.int64],
        excluded: npt.NDArray[np.bool_],
        bonus: Scores,
        k: int,
    ) -> npt.NDArray[np.int64]:
        """Positions in ``rows`` of each interest's best ``k`` papers (it matches them, and
        no exclusion drops them)."""
        found = [np.zeros(0, dtype=np.int64)]
        for _, scores in per_interest:
            if scores is None:
                continue
            values = np.where(excluded[rows], -np.inf, scores.gated[rows] + bonus[rows])
            positions = top(values, k)
            found.append(positions[np.isfinite(values[positions])])
        return np.unique(np.concatenate(found))

    @staticmethod
    def _candidates(
        n: int,
        per_interest: Sequence[tuple[Interest, _InterestScores | None]],
        bonus: Scores,
        limit: int,
        bonus_key: tuple[object, ...],
    ) -> npt.NDArray[np.int64]:
        """Rows holding a channel's best ``limit`` papers: the union of each interest's
        best ``limit`` (its order plus the priors' bonus).

        Exact, not a heuristic: a channel's score for a paper is one interest's order,
        shifted by a constant, plus the bonus. A paper outside that interest's best ``limit``
        has ``limit`` papers above it there, each scoring at least as much for the channel
        (papers tied at the edge are kept, for the final sort to decide). Each interest's
        best are shared by every channel that follows it."""
        chosen = [
            scores.best(limit, bonus, bonus_key) for _, scores in per_interest if scores is not None
        ]
        if not chosen:
            return np.arange(n)
        return np.unique(np.concatenate(chosen))

    @staticmethod
    def _combine(
        per_interest: Sequence[tuple[Interest, _InterestScores | None]],
        max_weight: float,
        rows: npt.NDArray[np.int64],
    ) -> tuple[Scores, Scores, Callable[[npt.NDArray[np.int64]], npt.NDArray[np.int64]]]:
        """Over the papers at ``rows``: a paper's score is its best interest's (weighted),
        with the best absolute relevance; and a function naming, for positions in ``rows``,
        which interest that was (only the papers shown need it). Ties go to the interest
        listed first."""
        n = len(rows)
        scored = [(p, i, r) for p, (i, r) in enumerate(per_interest) if r is not None]
        if not scored:
            return np.full(n, -np.inf), np.zeros(n), lambda shown: np.full(len(shown), -1)
        # A lighter interest counts for less: its scores shift down by up to one z unit.
        shifts = [1.0 - math.sqrt(max(i.weight, 0.0) / max_weight) for _, i, _ in scored]
        # Pairwise maxima, not a stacked matrix: a channel has a few interests over many
        # papers, and only the rows shown need to know which interest won.
        weighted = [r.gated[rows] - shift for (_, _, r), shift in zip(scored, shifts, strict=True)]
        total = functools.reduce(np.maximum, weighted[1:], weighted[0])
        relevance = functools.reduce(
            np.maximum, (r.relevance[rows] for _, _, r in scored[1:]), scored[0][2].relevance[rows]
        )
        positions = np.array([p for p, _, _ in scored], dtype=np.int64)

        def best(shown: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
            winner = positions[np.argmax(np.vstack([w[shown] for w in weighted]), axis=0)]
            return np.where(np.isfinite(total[shown]), winner, -1)

        return total, relevance, best

    def relevance(
        self, index: CorpusIndex, interest: Interest, profile: ChannelProfile | None = None
    ) -> Scores:
        """One interest's absolute relevance in [0, 1] for every paper of ``index`` (0 where
        its filters or exclusions drop a paper): what "the paper matches it" is judged by."""
        profile = profile or ChannelProfile(interests=(interest,))
        scores = self._cached_interest_scores(index, interest, profile)
        if scores is None:
            return np.zeros(len(index))
        excluded = self._excluded(index, ChannelProfile(interests=(interest,)))
        return np.where(excluded, 0.0, scores.relevance)

    def _excluded(self, index: CorpusIndex, profile: ChannelProfile) -> npt.NDArray[np.bool_]:
        terms = [i.text.lower() for i in profile.interests if i.kind == InterestKind.EXCLUSION]
        for interest in profile.interests:
            if interest.kind == InterestKind.QUERY:
                parsed = _parse(interest.text)
                terms += list(parsed.excluded) if parsed else []
        excluded = np.zeros(len(index), dtype=bool)
        for term in dict.fromkeys(terms):
            excluded |= index.mentions(term)
        return excluded

    def _cached_interest_scores(
        self,
        index: CorpusIndex,
        interest: Interest,
        profile: ChannelProfile,
        likes: TopicLikes | None = None,
    ) -> _InterestScores | None:
        """Interests are shared between channels (many groups follow "RLHF"): an interest's
        scores are computed once per day's index (with a channel's likes, once per set of
        likes). Seeds depend on the profile: not cached."""
        if interest.kind == InterestKind.SEED or "like:" in interest.text:
            return self._interest_scores(index, interest, profile, likes)
        return index.memo(
            ("interest", self.name, interest.kind, interest.text, *self._likes_key(likes)),
            lambda: self._interest_scores(index, interest, profile, likes),
        )

    def _likes_per_topic(
        self, index: CorpusIndex, profile: ChannelProfile
    ) -> dict[Interest, TopicLikes]:
        """Each liked paper goes to the topic interest it resembles most (a channel's only
        topic takes them all): what that interest's query learns from."""
        if not profile.liked or not self.likes_query_weight or index.vectors is None:
            return {}
        topics = [
            (interest, parsed.text)
            for interest in profile.interests
            if interest.kind == InterestKind.QUERY
            and (parsed := _parse(interest.text)) is not None
            and parsed.text
        ]
        if not topics:
            return {}
        liked = list(profile.liked)
        vectors = paper_vectors(index, liked)
        owner = np.zeros(len(liked), dtype=np.int64)
        if len(topics) > 1 and self.embedder is not None:
            queries = np.vstack(
                [self.embed_query(expanded_query(t, index.acronyms)) for _, t in topics]
            )
            owner = np.argmax(vectors @ queries.T, axis=1)
        found = {}
        for position, (interest, _) in enumerate(topics):
            mine = np.flatnonzero(owner == position)
            if len(mine):
                found[interest] = TopicLikes.of([liked[i] for i in mine], vectors[mine])
        return found

    def _interest_scores(
        self,
        index: CorpusIndex,
        interest: Interest,
        profile: ChannelProfile,
        likes: TopicLikes | None = None,
    ) -> _InterestScores | None:
        papers = index.papers
        if interest.kind == InterestKind.AUTHOR:
            hits = index.by_author(interest.text).astype(float)
            return _InterestScores.absolute(f"author {interest.text}", hits)
        if interest.kind == InterestKind.CATEGORY:
            hits = index.in_category(interest.text).astype(float) * 0.5
            return _InterestScores.absolute(f"category {interest.text}", hits)
        if interest.kind == InterestKind.SEED:
            seed = profile.seeds.get(interest.text)
            if seed is None:
                return None
            return _InterestScores.absolute(
                f"“{seed.title}”", self._seed_scores(index, seed), verb="similar to"
            )
        parsed = _parse(interest.text)
        if parsed is None:
            return None  # stored before the syntax got stricter: ignore, never crash
        mask = np.ones(len(papers), dtype=bool)
        for phrase in parsed.phrases:
            mask &= index.mentions(phrase.lower())
        if parsed.authors:
            mask &= np.logical_or.reduce([index.by_author(a) for a in parsed.authors])
        if parsed.categories:
            mask &= np.logical_or.reduce([index.in_category(c) for c in parsed.categories])
        seeds = [seed for i in parsed.seeds if (seed := profile.seeds.get(i)) is not None]
        label, verb = f"“{interest.text}”", "matches"
        if parsed.text:
            order, relevance = self._topic_scores(index, parsed.text, likes)
        elif parsed.seeds:  # "more like this" alone: only what resembles a seed matches
            if not seeds:
                return None  # a paper paperboy does not know: nothing to resemble
            order, relevance = np.full(len(papers), -np.inf), np.zeros(len(papers))
            label, verb = f"“{seeds[0].title}”", "similar to"
        else:  # only filters (author:, cat:, "phrases"): they decide
            order, relevance = np.full(len(papers), 1.8), np.full(len(papers), 0.6)
        for seed in seeds:
            similar = self._seed_scores(index, seed)
            relevance = np.maximum(relevance, similar)
            order = np.maximum(order, 3.0 * similar)
        # An "exact phrase" is shown whole; the other words as display_words groups them.
        shown_forms = [(phrase,) for phrase in parsed.phrases] + display_words(
            " ".join(parsed.terms),
            index.acronyms,
            index.memo(("spelled out",), lambda: spelled_out(index.acronyms)),
            index.acronym_spellings,
        )
        words = tuple(
            tuple((form, index.contains_all(tuple(tokenize(form)))) for form in forms)
            for forms in dict.fromkeys(shown_forms)
        )
        if not mask.all():  # (without filters the topic's own arrays are shared, not copied)
            order, relevance = np.where(mask, order, -np.inf), np.where(mask, relevance, 0.0)
        return _InterestScores(
            label=label, order=order, relevance=relevance, words=words, verb=verb
        )

    def _seed_scores(self, index: CorpusIndex, seed: Paper) -> Scores:
        scores = np.clip(index.similarity_to(seed), 0.0, 1.0)
        row = index.rows.get(seed.key)
        if row is not None:
            scores[row] = 0.0  # the seed itself is not news
        return scores

    def prepare(self, index: CorpusIndex, interests: Iterable[str]) -> int:
        """Scores many interests' topics at once, ahead of the channels that follow them.

        Each step is one matrix product for a batch of interests instead of one
        matrix-vector product per interest, so the day's embeddings are read once per batch,
        not twice per interest. Channels ranked afterwards find their interests scored (the
        same scores as one by one). Returns how many topics were scored."""
        texts = []
        for text in dict.fromkeys(interests):
            parsed = _parse(text)
            if (
                parsed is not None
                and parsed.text
                and not index.memoized(self._topic_key(parsed.text))
            ):
                texts.append(parsed.text)
        texts = list(dict.fromkeys(texts))
        for start in range(0, len(texts), _BATCH):
            chunk = texts[start : start + _BATCH]
            for text, scores in zip(chunk, self._topic_scores_many(index, chunk), strict=True):
                index.remember(self._topic_key(text), scores)
        return len(texts)

    def _topic_key(self, text: str) -> tuple[object, ...]:
        return ("topic", self.name, text)

    def _likes_key(self, likes: TopicLikes | None) -> tuple[object, ...]:
        """What of a channel's likes (and how they are used) an interest's scores depend on."""
        if likes is None:
            return ()
        return (likes.keys, self.likes_query_weight)

    def _topic_scores(
        self, index: CorpusIndex, text: str, likes: TopicLikes | None = None
    ) -> tuple[Scores, Scores]:
        """(order in z units, absolute relevance) of every paper for a topic query, learning
        from the papers liked for it."""
        key = (*self._topic_key(text), *self._likes_key(likes))
        return index.memo(key, lambda: self._topic_scores_many(index, [text], likes)[0])

    def _topic_scores_many(
        self, index: CorpusIndex, texts: Sequence[str], likes: TopicLikes | None = None
    ) -> list[tuple[Scores, Scores]]:
        """``_topic_scores`` of several queries: the products over every paper are batched,
        the rest (per query) is the same arithmetic column by column. ``likes`` (the same
        for every query) move the queries: their vector towards the liked papers' and their
        words joined by the words those papers share."""
        # Papers x queries matrices are kept in column-major order: every step below works
        # per query (z-scores, best candidates, copies out), so each column is contiguous.
        lexical = np.array(
            [
                np.max([index.lexical(tokenize(v)) for v in variants(t, index.acronyms)], axis=0)
                for t in texts
            ],
            dtype=np.float32,
        ).T
        if self.embedder is None or index.vectors is None:
            order = self._smooth(index, zscore(lexical))
            return [(order[:, j].copy(), lexical[:, j].copy()) for j in range(len(texts))]
        originals = np.vstack(
            [self.embed_query(expanded_query(t, index.acronyms)) for t in texts]
        ).astype(np.float32)
        # Ordering compares distinctive parts (the day's shared directions removed); the
        # absolute relevance below keeps plain cosines, whose scale it is calibrated on.
        dense = np.asfortranarray(index.cosines(originals))
        semantic = np.asfortranarray(index.distinctive(dense, originals))
        # The dense side's weight in the ordering, per query: a short query (a few words,
        # often a precise term) may lean more on its words than a sentence does.
        a = np.array([[self._dense_weight_for(t) for t in texts]], dtype=np.float32)
        lexical_z = zscore(lexical)
        fused = a * zscore(semantic) + (1 - a) * lexical_z
        queries = originals
        liked = likes.centroid if likes is not None else None
        if self.prf_depth or (liked is not None and self.likes_query_weight):
            # Rocchio feedback: move each query towards its best matches (pseudo-relevance),
            # so a two-word interest borrows the vocabulary of the papers it clearly means,
            # and towards the papers liked for it (relevance feedback, a surer signal).
            refined = originals.copy()
            if self.prf_depth:
                k = min(self.prf_depth, len(index))
                feedback_rows = best_per_column(fused, k)  # (k, queries)
                refined += self.prf_weight * index.vectors[feedback_rows].mean(axis=0)
            if liked is not None:
                refined += self.likes_query_weight * liked
            norms = np.linalg.norm(refined, axis=1, keepdims=True)
            queries = (refined / np.where(norms > 0, norms, 1.0)).astype(np.float32)
            semantic = np.asfortranarray(index.cosines(queries, distinctive=True))
            fused = a * zscore(semantic) + (1 - a) * lexical_z
        # The typed query's own similarity, for the absolute relevance (column-major too).
        closest = dense.copy(order="F")
        if self.sentence_depth and index.sentence_vectors is not None:
            # The best candidates are re-scored by their two best-matching sentences: a paper
            # whose one paragraph is on topic is not drowned by the rest of its abstract.
            mix = self.sentence_mix
            for j in range(len(texts)):
                candidates = top(fused[:, j], self.sentence_depth)
                # The refined query orders (distinctive); the typed one gauges relevance.
                best = index.sentence_scores(
                    np.vstack([queries[j], originals[j]]), candidates, distinctive=(True, False)
                )
                semantic[candidates, j] = (1 - mix) * semantic[candidates, j] + mix * best[:, 0]
                closest[candidates, j] = np.maximum(dense[candidates, j], best[:, 1])
            fused = a * zscore(semantic) + (1 - a) * lexical_z
        # Cosines of unrelated MiniLM texts sit near 0.1, clear matches above 0.5: that band,
        # rescaled to [0, 1], blends with BM25 into a relevance that holds across days. It
        # uses the query as typed: feedback-refined queries resemble every candidate a bit.
        rescaled = np.clip((closest - 0.1) / 0.5, 0.0, 1.0)
        # The threshold's scale: a fixed blend, so tuning the ordering never moves what a
        # channel's minimum relevance means.
        relevance = RELEVANCE_DENSE_WEIGHT * rescaled + (1 - RELEVANCE_DENSE_WEIGHT) * lexical
        order = np.asfortranarray(self._smooth(index, fused))
        relevance = np.asfortranarray(relevance)
        return [(order[:, j].copy(), relevance[:, j].copy()) for j in range(len(texts))]

    def _dense_weight_for(self, text: str) -> float:
        if self.short_dense_weight is not None and len(tokenize(text)) <= SHORT_QUERY_WORDS:
            return self.short_dense_weight
        return self.dense_weight

    def _smooth(self, index: CorpusIndex, scores: Scores) -> Scores:
        """Blend each paper's score with its nearest neighbours' (the cluster hypothesis);
        for a matrix, each column on its own."""
        if not self.smoothing or index.neighbour_mean is None:
            return scores
        return (1 - self.smoothing) * scores + self.smoothing * (index.neighbour_mean @ scores)

    @staticmethod
    def _explain(
        row: int,
        per_interest: Sequence[tuple[Interest, _InterestScores | None]],
        best: int,
        feedback: FeedbackModel | None,
        resembles: npt.NDArray[np.int64] | None,
        excluded: bool,
        profile: ChannelProfile,
    ) -> str:
        if excluded:
            return "excluded by an exclusion"
        parts: list[str] = []
        if best >= 0:
            result = per_interest[best][1]
            assert result is not None
            parts.append(result.reason(row))
        if (
            feedback is not None
            and resembles is not None
            and feedback.relevance[row] > 0.8
            and feedback.order[row] > 1.0
        ):
            parts.append(f"resembles “{profile.liked[int(resembles[row])].title}”, which you liked")
        return "; ".join(parts) or "no interest matched"


class LexicalRanker(HybridRanker):
    """The model-free ranker: BM25 with acronym expansion, same features otherwise."""

    def __init__(self) -> None:
        super().__init__(embedder=None)


def interest_key(interest: Interest) -> str:
    """How ``DigestItem.interest`` names an interest (kind and text: an author and a topic
    may share words)."""
    return f"{interest.kind.value}:{interest.text}"


def seed_ids(interests: Iterable[Interest]) -> tuple[str, ...]:
    """The papers interests name as "more like this" (``like:`` ids, seed interests): the
    caller resolves them into ``ChannelProfile.seeds``."""
    ids: list[str] = []
    for interest in interests:
        if interest.kind == InterestKind.SEED:
            ids.append(interest.text)
        elif interest.kind == InterestKind.QUERY and (parsed := _parse(interest.text)):
            ids.extend(parsed.seeds)
    return tuple(dict.fromkeys(ids))


@lru_cache(maxsize=65_536)
def _parse(text: str) -> ParsedQuery | None:
    """Interests are parsed for every channel that follows them: once per text is enough."""
    try:
        return parse_query(text)
    except UsageError:
        return None
