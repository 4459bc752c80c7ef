"""Liked papers as relevance feedback inside one interest's topic query.

The per-channel model in ``feedback`` learns a taste across all of a channel's interests;
this is the classic, sharper signal inside one interest: its query vector moved towards the
papers liked for it (Rocchio), so its sentence re-scoring and neighbours follow. A liked
paper counts for the interest whose query it is closest to, so liking a reinforcement
learning paper does not pull a channel's "diffusion" interest towards reinforcement learning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from digest.models import Paper

__all__ = ["TopicLikes"]


@dataclass(frozen=True, kw_only=True, slots=True)
class TopicLikes:
    """What one interest's liked papers add to its topic query."""

    keys: tuple[str, ...]  # the liked papers, sorted: what cached scores depend on
    centroid: npt.NDArray[np.float32]  # the mean of their vectors

    @classmethod
    def of(cls, liked: Sequence[Paper], vectors: npt.NDArray[np.float32]) -> TopicLikes:
        return cls(
            keys=tuple(sorted(p.key for p in liked)),
            centroid=vectors.mean(axis=0).astype(np.float32),
        )
