"""Picking the best rows of score arrays, and standardising them: the ranking's array steps."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from digest.ranking.index import Scores

__all__ = ["TIE_MARGIN", "best_per_column", "best_with_ties", "top", "zscore"]


def top(values: Scores, k: int) -> npt.NDArray[np.int64]:
    """Rows of the ``k`` largest values (unordered): linear time, unlike a full sort."""
    if k >= len(values):
        return np.arange(len(values))
    return np.argpartition(-values, k - 1)[:k]


# Orders this close count as tied: their scores, rounded to six decimals, can be equal, and
# then the order is decided by relevance and key, which only the full sort knows.
TIE_MARGIN = 1e-3


def best_with_ties(values: Scores, k: int) -> npt.NDArray[np.int64]:
    """Rows of the ``k`` largest values and of every value tied with the k-th (within
    ``TIE_MARGIN``), unordered: which of several equal papers comes first is then decided
    by the caller's sort, as in a full ranking, not by where a partition happened to cut."""
    n = len(values)
    if k >= n:
        return np.arange(n)
    kth = np.partition(values, n - k)[n - k]
    if not np.isfinite(kth):  # fewer than k papers are relevant: the rest are all alike
        return top(values, k)
    return np.flatnonzero(values >= kth - TIE_MARGIN)


def zscore(values: Scores) -> Scores:
    """Standardise over the day's papers (axis 0: each column of a matrix on its own; a
    constant column becomes zeros). A new array of the same dtype and layout."""
    spread = values.std(axis=0)
    flat = spread <= 1e-12
    scale = (1.0 / np.where(flat, 1.0, spread)) * ~flat
    standard = values - values.mean(axis=0)
    standard *= scale.astype(values.dtype)
    return standard


def best_per_column(values: Scores, k: int) -> npt.NDArray[np.intp]:
    """Rows of each column's ``k`` largest values (k x columns): for the few that
    pseudo-relevance feedback takes, k passes of argmax beat a partition tenfold."""
    k = min(k, len(values))
    if k > 16:
        return np.argpartition(-values, k - 1, axis=0)[:k]
    remaining = values.copy(order="K")
    columns = np.arange(values.shape[1])
    rows = []
    for _ in range(k):
        best = remaining.argmax(axis=0)
        rows.append(best)
        remaining[best, columns] = -np.inf
    return np.array(rows)
