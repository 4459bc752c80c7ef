"""The core of the trends picture and of author matching (pure: values in, values out)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app as cli
from digest.authors import author_matches
from digest.models import Match, Paper
from digest.trends import build_trends, rising_phrases, week_starts

LISTING = Path(__file__).resolve().parents[1] / "fixtures" / "trends_listing.jsonl"


@pytest.mark.parametrize(
    ("written", "wanted"),
    [
        ("Yann LeCun", "Yann LeCun"),
        ("Yann LeCun", "LeCun"),
        ("Yann LeCun", "Y. LeCun"),
        ("Yann LeCun", "LeCun, Yann"),
        ("Yann LeCun", "LeCun Y."),
        ("Y. LeCun", "Yann LeCun"),
        ("José Hernández-Orallo", "Jose Hernandez-Orallo"),
        ("José Hernández-Orallo", "J. Hernández-Orallo"),
        ("Jean-Pierre Dupont", "J.-P. Dupont"),
        ("Jean-Pierre Dupont", "JP Dupont"),
        ("Vincent van Gogh", "Gogh, Vincent van"),
        ("Geoffrey E. Hinton", "Geoffrey Hinton"),
        ("Łukasz Kaiser", "Lukasz Kaiser"),
    ],
)
def test_the_same_author_however_written(written: str, wanted: str) -> None:
    assert author_matches(written, wanted)


@pytest.mark.parametrize(
    ("written", "wanted"),
    [
        ("Anna Smith", "Alan Smith"),
        ("Yann LeCun", "Y. Bengio"),
        ("B. LeCun", "Yann LeCun"),
        ("Smithson", "Smith"),
        ("", "Smith"),
    ],
)
def test_different_authors_do_not_match(written: str, wanted: str) -> None:
    assert not author_matches(written, wanted)


def _paper(key: str, text: str) -> Paper:
    return Paper(title=text, uid=key)


def test_counts_per_week_and_interest_and_the_period_before() -> None:
    today = date(2026, 6, 12)  # a Friday: its week starts on Monday 8 June
    assert week_starts(today, 3) == (date(2026, 5, 25), date(2026, 6, 1), date(2026, 6, 8))
    matches = [
        Match(interest="query:a", paper_key="p1", day=date(2026, 6, 8)),
        Match(interest="query:a", paper_key="p1", day=date(2026, 6, 8)),  # twice: once
        Match(interest="query:a", paper_key="p2", day=date(2026, 6, 14)),  # Sunday
        Match(interest="query:a", paper_key="p3", day=date(2026, 5, 25)),
        Match(interest="author:X", paper_key="p3", day=date(2026, 5, 25)),
        Match(interest="query:gone", paper_key="p4", day=date(2026, 6, 1)),  # removed since
        Match(interest="query:a", paper_key="old", day=date(2026, 5, 10)),  # period before
        Match(interest="query:a", paper_key="older", day=date(2026, 4, 1)),  # out of both
    ]
    papers = {k: _paper(k, f"paper {k}") for k in ("p1", "p2", "p3", "p4", "old", "older")}
    trends = build_trends(
        matches,
        papers,
        interests=["query:a", "author:X"],
        today=today,
        weeks=3,
        votes={"p2": 3, "p1": 1, "p3": -2, "old": 9},
    )
    assert [(s.label, s.counts) for s in trends.series] == [
        ("a", (1, 0, 2)),
        ("author: X", (1, 0, 0)),
    ]
    assert trends.total == 4
    assert [(t.paper.key, t.votes) for t in trends.top] == [("p2", 3), ("p1", 1)]
    assert trends.period == "25 May – 14 Jun 2026"


def test_emerging_phrases_are_those_whose_share_rose_most() -> None:
    before = [_paper(f"b{n}", "Diffusion policy for robot arms") for n in range(4)]
    now = [
        _paper("n1", "Test-time scaling for diffusion policy. Flow matching."),
        _paper("n2", "Test-time scaling of language models"),
        _paper("n3", "Diffusion policy with test-time scaling"),
        _paper("n4", "Graph networks"),
    ]
    rising = rising_phrases(now, before)
    assert rising[0].phrase == "test-time scaling"
    assert (rising[0].share, rising[0].previous, rising[0].papers) == (0.75, 0.0, 3)
    assert "diffusion policy" not in [p.phrase for p in rising]  # 100% -> 50%: fell
    assert all(p.papers >= 2 for p in rising)
    assert "flow matching" not in [p.phrase for p in rising]  # one paper is no trend
    assert rising_phrases([], before) == ()


def test_cli_draws_a_png_from_a_listing(tmp_path: Path) -> None:
    out = tmp_path / "t.png"
    result = CliRunner().invoke(
        cli,
        [
            "trends",
            "--papers",
            str(LISTING),
            "--interest",
            "RLHF",
            "--weeks",
            "4",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "RLHF: " in result.output and str(out) in result.output
    assert out.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    bad = CliRunner().invoke(
        cli, ["trends", "--papers", str(LISTING), "--interest", '"open', "--out", str(out)]
    )
    assert bad.exit_code == 2 and "unclosed quote" in bad.output
    wrong = CliRunner().invoke(
        cli, ["trends", "--papers", str(LISTING), "--interest", "x", "--out", "t.jpg"]
    )
    assert wrong.exit_code == 2
