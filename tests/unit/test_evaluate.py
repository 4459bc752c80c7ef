"""The metrics `make eval` reports: checked against values worked out by hand."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from bot.evaluate import main, ndcg_at, paired_p_value, precision_at

GRADES = {"a": 2, "b": 1, "c": 0, "d": 2}


def test_ndcg_is_one_for_the_ideal_order_and_discounts_by_position() -> None:
    assert ndcg_at(["a", "d", "b", "c"], GRADES) == pytest.approx(1.0)
    # gains 2^g - 1: ideal [3, 3, 1]; got [1, 3, 0, 3] at positions 1..4
    dcg = 1 / math.log2(2) + 3 / math.log2(3) + 0 + 3 / math.log2(5)
    ideal = 3 / math.log2(2) + 3 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at(["b", "a", "c", "d"], GRADES) == pytest.approx(dcg / ideal)
    assert ndcg_at(["x", "y"], GRADES) == 0.0  # unjudged papers count as not relevant
    assert ndcg_at(["a"], {"a": 0}) == 0.0  # nothing relevant at all: 0, not a division error


def test_ndcg_and_precision_look_only_at_the_first_k() -> None:
    ranked = ["c", "x", "a", "d"]
    assert precision_at(ranked, GRADES, k=2) == 0.0
    assert precision_at(ranked, GRADES, k=4) == 0.5
    assert ndcg_at(ranked, GRADES, k=2) == 0.0
    assert ndcg_at(ranked, GRADES, k=4) > 0.0


def test_a_folder_without_judgments_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(tmp_path)]) == 2
    assert "usage" in capsys.readouterr().err


def test_paired_p_value_counts_the_sign_flips_as_extreme_as_the_observed_gap() -> None:
    # Three equal gains: of the 8 flips only all-plus and all-minus are as extreme.
    assert paired_p_value([1.0, 1.0, 1.0], [0.0, 0.0, 0.0]) == pytest.approx(2 / 8)
    # Gains of 3, 1 and 0: flips with |mean| >= 4/3 are (+3, +1) and (-3, -1), each with
    # either sign of the 0: 4 of 8.
    assert paired_p_value([3.0, 1.0, 0.5], [0.0, 0.0, 0.5]) == pytest.approx(4 / 8)
    assert paired_p_value([0.2, 0.4], [0.2, 0.4]) == 1.0  # no difference at all
    assert paired_p_value([], []) == 1.0
    # Ten consistent gains are very unlikely by luck: 2 of 1,024 flips.
    assert paired_p_value([0.6] * 10, [0.5] * 10) == pytest.approx(2 / 1024)


def test_paired_p_value_samples_beyond_sixteen_interests_reproducibly() -> None:
    ours, theirs = [0.5 + 0.01 * i for i in range(20)], [0.5] * 20
    first = paired_p_value(ours, theirs)
    assert first == paired_p_value(ours, theirs)  # seeded
    assert first < 0.01
