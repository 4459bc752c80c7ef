"""Cross-validation over interests: fixed folds, choices made without the held-out fold."""

from __future__ import annotations

import pytest

from bot.crossval import cross_validate, fixed_folds

NAMES = [f"interest-{n}" for n in range(23)]


def test_folds_are_fixed_and_cover_every_interest_once() -> None:
    folds = fixed_folds(NAMES, 5)
    assert fixed_folds(list(reversed(NAMES)), 5) == folds  # order of input does not matter
    assert sorted(n for fold in folds for n in fold) == sorted(NAMES)
    assert len(folds) == 5 and all(folds)
    with pytest.raises(ValueError):
        fixed_folds(NAMES, 1)


def test_adding_an_interest_moves_few_others() -> None:
    before = {n: i for i, fold in enumerate(fixed_folds(NAMES, 5)) for n in fold}
    after = {n: i for i, fold in enumerate(fixed_folds([*NAMES, "a new one"], 5)) for n in fold}
    assert all(before[n] == after[n] for n in NAMES)


def test_each_fold_is_scored_with_the_setting_chosen_on_the_others() -> None:
    folds = [["a", "b"], ["c", "d"]]
    scores = {
        # "tuned" wins only where it is judged on "a" and "b"; elsewhere "plain" does.
        "plain": {"a": 0.5, "b": 0.5, "c": 0.6, "d": 0.6},
        "tuned": {"a": 0.9, "b": 0.9, "c": 0.1, "d": 0.1},
    }
    result = cross_validate(scores, folds)
    # Fold 1 (a, b) is judged with the choice made on c, d: plain. Fold 2 with tuned.
    assert result.chosen == ["plain", "tuned"]
    assert result.held_out == {"a": 0.5, "b": 0.5, "c": 0.1, "d": 0.1}
    assert result.best_overall == "plain"  # 0.55 on every interest against 0.50


def test_ties_go_to_the_setting_listed_first() -> None:
    scores = {"shipped": {"a": 0.5, "b": 0.5}, "other": {"a": 0.5, "b": 0.5}}
    result = cross_validate(scores, [["a"], ["b"]])
    assert result.chosen == ["shipped", "shipped"] and result.best_overall == "shipped"
