"""The metrics `make eval` reports: checked against values worked out by hand."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from bot.evaluate import main, ndcg_at, paired_p_value, precision_at
from bot.evaluation.baselines import tfidf_bigrams
from bot.evaluation.metrics import load_judged
from bot.evaluation.studies import _chunk_texts
from digest.models import Paper

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


def _folder(
    path: Path, papers: list[dict[str, str]] | None, queries: object, qrels: object
) -> Path:
    path.mkdir()
    if papers is not None:
        (path / "papers.jsonl").write_text("\n".join(json.dumps(p) for p in papers))
    (path / "queries.json").write_text(json.dumps(queries))
    (path / "qrels.json").write_text(json.dumps(qrels))
    return path


PAPERS = [
    {"id": "p1", "title": "Offline reinforcement learning", "abstract": "Conservative values."},
    {"id": "p2", "title": "Reinforcement learning from human feedback", "abstract": "Reward."},
    {"id": "p3", "title": "Graph neural networks", "abstract": "Message passing on graphs."},
]


def test_judged_sets_pool_interests_over_the_first_folders_papers(tmp_path: Path) -> None:
    shared = _folder(
        tmp_path / "shared", PAPERS, {"rl": {"short": "rl", "long": "RL."}}, {"rl": {"p1": 2}}
    )
    own = _folder(
        tmp_path / "own", None, {"gnn": {"short": "gnn", "long": "GNNs."}}, {"gnn": {"p3": 1}}
    )
    judged = load_judged([shared, own])
    assert [p.key for p in judged.papers] == ["p1", "p2", "p3"]
    assert judged.qrels == {"rl": {"p1": 2}, "gnn": {"p3": 1}}
    assert judged.origin == {"rl": str(shared), "gnn": str(own)}


def test_judged_sets_refuse_a_twice_named_interest_and_unknown_papers(tmp_path: Path) -> None:
    shared = _folder(
        tmp_path / "shared", PAPERS, {"rl": {"short": "rl", "long": "RL."}}, {"rl": {"p1": 2}}
    )
    again = _folder(
        tmp_path / "again", None, {"rl": {"short": "rl", "long": "RL."}}, {"rl": {"p2": 1}}
    )
    with pytest.raises(ValueError, match="two folders"):
        load_judged([shared, again])
    unknown = _folder(
        tmp_path / "unknown", None, {"x": {"short": "x", "long": "X."}}, {"x": {"p9": 1}}
    )
    with pytest.raises(ValueError, match="unknown papers"):
        load_judged([shared, unknown])


def test_tfidf_with_word_pairs_prefers_the_exact_pair() -> None:
    papers = [
        Paper(uid="a", id="a", title="learning reinforcement", abstract="human feedback"),
        Paper(uid="b", id="b", title="reinforcement learning", abstract="human feedback"),
        Paper(uid="c", id="c", title="graph networks", abstract="message passing"),
    ]
    rank = tfidf_bigrams(papers)
    # a and b share every word; only b has the pair "reinforcement learning".
    assert rank("reinforcement learning")[:2] == ["b", "a"]
    assert rank("message passing")[0] == "c"
    assert rank("nothing matches")[0] == "a"  # all tie at 0: by key


def test_a_paper_is_cut_into_chunks_that_each_lead_with_its_title() -> None:
    sentence = "One two three four five six seven eight nine ten."
    paper = Paper(uid="x", title="A title", abstract=" ".join([sentence] * 25))
    chunks = _chunk_texts(paper, words=90)
    assert len(chunks) == 3  # 250 words in chunks of at most 90 (9 sentences of 10)
    assert all(c.startswith("A title. One two") for c in chunks)
    assert sum(c.count("ten.") for c in chunks) == 25  # nothing lost or repeated
