"""Cross-validation over interests: settings are chosen on some interests, judged on others.

A setting that rises on the interests it was tuned on and falls on the rest is overfitting;
the only honest number for a shipped default is one measured on interests that played no
part in choosing it. Pure functions: scores in, choices and held-out scores out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["CrossValidation", "cross_validate", "fixed_folds"]


def fixed_folds(names: Sequence[str], k: int = 5) -> list[list[str]]:
    """``k`` folds of interest names, the same on every run and machine: each name goes to
    the fold its hash names, so adding an interest never moves another between folds (the
    folds' sizes vary a little for it)."""
    if k < 2:
        raise ValueError("cross-validation needs at least two folds")
    folds: list[list[str]] = [[] for _ in range(k)]
    for name in sorted(names):
        folds[int(hashlib.sha256(name.encode()).hexdigest(), 16) % k].append(name)
    return [fold for fold in folds if fold]


@dataclass(frozen=True, kw_only=True, slots=True)
class CrossValidation:
    held_out: dict[str, float]  # interest -> its score under the setting chosen without it
    chosen: list[str]  # per fold, the setting chosen on the other folds
    best_overall: str  # the setting chosen on every interest (what to ship)


def cross_validate(
    scores: Mapping[str, Mapping[str, float]], folds: Sequence[Sequence[str]]
) -> CrossValidation:
    """``scores[setting][interest]`` (e.g. nDCG@10): for each fold, the setting with the best
    mean over the other folds, and the fold's interests scored under it. Ties go to the
    setting listed first, so list the simpler or current setting first."""
    settings = list(scores)
    if not settings:
        raise ValueError("no settings to choose from")

    def best_on(interests: Sequence[str]) -> str:
        def mean(setting: str) -> float:
            return sum(scores[setting][i] for i in interests) / max(1, len(interests))

        return max(settings, key=lambda s: (mean(s), -settings.index(s)))

    held_out: dict[str, float] = {}
    chosen = []
    for fold in folds:
        training = [i for other in folds if other is not fold for i in other]
        setting = best_on(training)
        chosen.append(setting)
        held_out.update({i: scores[setting][i] for i in fold})
    everyone = [i for fold in folds for i in fold]
    return CrossValidation(held_out=held_out, chosen=chosen, best_overall=best_on(everyone))
