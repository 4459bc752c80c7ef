"""Learning from 👍/👎: a per-channel logistic model on the stored paper embeddings.

Positives are the papers the channel liked, negatives those it disliked plus the day's
unseen candidates as a weak background class (a paper nobody reacted to is mildly less
likely to be wanted). Newer votes weigh more. This is the approach that beat plain cosine
similarity on real ratings in Scholar Inbox's published work. Without embeddings the model
falls back to Rocchio on tf-idf vectors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize

from digest.models import Paper
from digest.ranking.embedding import paper_text
from digest.ranking.index import CorpusIndex, Scores
from digest.ranking.topk import zscore

__all__ = ["DISLIKE_WEIGHT", "FeedbackModel"]

_VOTE_DECAY = 0.97  # each older vote counts 3% less than the one after it
# A dislike counts for 0.3 of a like: the papers people dislike are the near misses, close to
# what they want, and a model pushed as hard from them as towards the likes pushes away the
# topic itself (make eval, 53 interests, 3 likes + 3 dislikes: sentences -0.080 at 1.0, -0.033
# at 0.3; short queries +0.038 and +0.052; 3 likes alone unchanged).
DISLIKE_WEIGHT = 0.3
_L2 = 1.0


@dataclass(frozen=True, kw_only=True, slots=True)
class FeedbackModel:
    order: Scores  # the model's logit, z-scored over the day's papers
    relevance: Scores  # absolute, in [0, 1]: similarity to the closest liked paper
    weight: float  # how much the feedback counts next to the interests
    nearest_liked: npt.NDArray[np.int64]

    @classmethod
    def train(
        cls,
        index: CorpusIndex,
        liked: Sequence[Paper],
        disliked: Sequence[Paper],
        *,
        per_vote: float = 0.1,
        max_weight: float = 0.5,
        dislike: float = DISLIKE_WEIGHT,
    ) -> FeedbackModel | None:
        """``per_vote``: how much each vote moves the ranking towards the model (at most
        ``max_weight``); ``dislike``: what a dislike counts for next to a like, in that weight
        and as a training example."""
        if not liked or not len(index):
            return None
        votes = len(liked) + dislike * len(disliked)
        weight = min(max_weight, per_vote * votes)
        if index.vectors is None:
            return cls._rocchio(index, liked, disliked, weight)
        return cls._logistic(index, liked, disliked, weight, dislike)

    @classmethod
    def _logistic(
        cls,
        index: CorpusIndex,
        liked: Sequence[Paper],
        disliked: Sequence[Paper],
        weight: float,
        dislike: float = 1.0,
    ) -> FeedbackModel:
        assert index.vectors is not None
        positives = _vectors(index, liked)
        negatives = _vectors(index, disliked)
        # The model learns from what sets papers apart, not from what the whole day shares.
        every = index.distinctive_vectors()
        liked_keys = {p.key for p in liked}
        background = every[[i for i, p in enumerate(index.papers) if p.key not in liked_keys]]
        features = np.vstack(
            [index.distinctive_vectors(positives), index.distinctive_vectors(negatives), background]
        ).astype(np.float64)
        labels = np.concatenate(
            [np.ones(len(positives)), np.zeros(len(negatives) + len(background))]
        )
        recency = _VOTE_DECAY ** np.arange(len(liked))[::-1]
        sample_weight = np.concatenate(
            [
                recency,
                dislike * _VOTE_DECAY ** np.arange(len(disliked))[::-1],
                # The whole background weighs as much as the positives together.
                np.full(len(background), recency.sum() / max(len(background), 1)),
            ]
        )
        coef = _fit_logistic(features, labels, sample_weight)
        logits = every.astype(np.float64) @ coef[:-1] + coef[-1]
        similarity = (index.vectors @ positives.T).astype(np.float64)
        return cls(
            order=zscore(logits),
            relevance=np.clip((similarity.max(axis=1) - 0.1) / 0.5, 0.0, 1.0),
            weight=weight,
            nearest_liked=np.argmax(similarity, axis=1).astype(np.int64),
        )

    @classmethod
    def _rocchio(
        cls, index: CorpusIndex, liked: Sequence[Paper], disliked: Sequence[Paper], weight: float
    ) -> FeedbackModel:
        like = np.array([index.similarity_to(p) for p in liked])
        dislike = np.array([index.similarity_to(p) for p in disliked]) if disliked else None
        score = like.mean(axis=0) - (0.5 * dislike.mean(axis=0) if dislike is not None else 0.0)
        return cls(
            order=zscore(score),
            relevance=np.clip(like.max(axis=0), 0.0, 1.0),
            weight=weight,
            nearest_liked=np.argmax(like, axis=0).astype(np.int64),
        )


def _vectors(index: CorpusIndex, papers: Sequence[Paper]) -> npt.NDArray[np.float32]:
    assert index.vectors is not None
    dim = index.vectors.shape[1]
    out = np.zeros((len(papers), dim), dtype=np.float32)
    missing = []
    for i, paper in enumerate(papers):
        row = index.rows.get(paper.key)
        if row is not None:
            out[i] = index.vectors[row]
        else:
            missing.append(i)
    if missing and index.embedder is not None:
        out[missing] = index.embedder.embed([paper_text(papers[i]) for i in missing])
    return out


def _fit_logistic(x: npt.NDArray[np.float64], y: Scores, w: Scores) -> Scores:
    """Weighted L2-regularised logistic regression (bias unregularised), by L-BFGS."""
    design = np.hstack([x, np.ones((len(x), 1))])

    def loss(theta: Scores) -> tuple[float, Scores]:
        z = design @ theta
        p = 1 / (1 + np.exp(-z))
        eps = 1e-12
        nll = -np.sum(w * (y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps)))
        grad = design.T @ (w * (p - y))
        reg = 0.5 * _L2 * float(theta[:-1] @ theta[:-1])
        grad[:-1] += _L2 * theta[:-1]
        return float(nll + reg), grad

    result = minimize(
        loss, np.zeros(design.shape[1]), jac=True, method="L-BFGS-B", options={"maxiter": 200}
    )
    return np.asarray(result.x)
