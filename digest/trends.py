"""A channel's trends picture as data (pure): papers matched per week and interest, the
period's top-voted papers, and the phrases whose share rose most against the period before.

The edge draws it (``bot/charts.py``, matplotlib); nothing here knows about drawing.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from digest.models import Interest, InterestKind, Match, Paper
from digest.ranking.index import CorpusIndex
from digest.ranking.ranker import ChannelProfile, HybridRanker, LexicalRanker, interest_key
from digest.ranking.text import STOP_WORDS

__all__ = [
    "DEFAULT_WEEKS",
    "MAX_WEEKS",
    "InterestSeries",
    "RisingPhrase",
    "TopPaper",
    "Trends",
    "build_trends",
    "interest_label",
    "match_index",
    "match_papers",
    "paper_day",
    "rising_phrases",
    "week_starts",
]

DEFAULT_WEEKS = 8
MAX_WEEKS = 52
_CLAUSE = re.compile(r"[.!?;:()]+(?:\s|$)|[()]")
_WORD = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
# Words every abstract uses: never "emerging".
_FILLER = """paper papers propose proposed proposes present presents introduce introduces method
    methods approach approaches result results show shows shown demonstrate demonstrates
    achieve achieves achieved novel new state art existing based using use used work works
    task tasks model models performance benchmark benchmarks experiments experiment
    significantly outperforms outperform improve improves improved improvement
    apply applies applied candidates candidate sampling inference improves success
    framework frameworks data dataset datasets also however while across via than more most
    well first two three one large small high low different various several many recent
    further different code available release released study studies find finds found"""
_BOILERPLATE = frozenset(_FILLER.split())


@dataclass(frozen=True, kw_only=True, slots=True)
class InterestSeries:
    interest: str  # interest_key
    label: str  # as people read it
    counts: tuple[int, ...]  # papers matched per week, oldest week first


@dataclass(frozen=True, kw_only=True, slots=True)
class RisingPhrase:
    phrase: str
    share: float  # of the period's matched papers, the fraction that mention it
    previous: float  # the same, over the period before
    papers: int  # how many of the period's papers mention it

    @property
    def rise(self) -> float:
        return self.share - self.previous


@dataclass(frozen=True, kw_only=True, slots=True)
class TopPaper:
    paper: Paper
    votes: int


@dataclass(frozen=True, kw_only=True, slots=True)
class Trends:
    title: str
    weeks: tuple[date, ...]  # the Monday of each week, oldest first
    series: tuple[InterestSeries, ...]
    top: tuple[TopPaper, ...] = ()
    rising: tuple[RisingPhrase, ...] = ()
    vote_label: str = "votes"

    @property
    def total(self) -> int:
        return sum(sum(s.counts) for s in self.series)

    @property
    def is_empty(self) -> bool:
        return self.total == 0

    @property
    def period(self) -> str:
        if not self.weeks:
            return ""
        end = self.weeks[-1] + timedelta(days=6)
        return f"{self.weeks[0]:%d %b} – {end:%d %b %Y}"


def paper_day(paper: Paper) -> date | None:
    """The date a paper counts for: published, else first seen."""
    if paper.published is not None:
        return paper.published
    return paper.first_seen.date() if paper.first_seen is not None else None


def interest_label(key: str) -> str:
    """ "author:Ada Lovelace" -> "author: Ada Lovelace"; a topic reads as itself."""
    kind, _, text = key.partition(":")
    if kind == InterestKind.QUERY.value:
        return text
    if kind == InterestKind.CATEGORY.value:
        return f"cat: {text}"
    return f"{kind}: {text}"


def week_starts(today: date, weeks: int) -> tuple[date, ...]:
    """The Mondays of the last ``weeks`` weeks, the current one last."""
    monday = today - timedelta(days=today.weekday())
    return tuple(monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1))


def match_papers(
    papers: Sequence[Paper],
    interests: Sequence[Interest],
    *,
    min_score: float,
    ranker: HybridRanker | None = None,
    seeds: Mapping[str, Paper] | None = None,
) -> list[Match]:
    """Which papers pass which interests: a paper matches an interest when that interest's
    relevance alone reaches ``min_score`` (the channel's threshold), as for a digest."""
    if not papers or not interests:
        return []
    ranker = ranker or LexicalRanker()
    return match_index(ranker, ranker.index(papers), interests, min_score=min_score, seeds=seeds)


def match_index(
    ranker: HybridRanker,
    index: CorpusIndex,
    interests: Sequence[Interest],
    *,
    min_score: float,
    seeds: Mapping[str, Paper] | None = None,
) -> list[Match]:
    """``match_papers`` over an index already built (the day's, shared by every channel)."""
    days = [paper_day(p) for p in index.papers]
    matches: list[Match] = []
    for interest in interests:
        if interest.kind == InterestKind.EXCLUSION:
            continue
        profile = ChannelProfile(interests=(interest,), seeds=dict(seeds or {}))
        relevance = ranker.relevance(index, interest, profile)
        key = interest_key(interest)
        matches.extend(
            Match(interest=key, paper_key=paper.key, day=day)
            for paper, day, value in zip(index.papers, days, relevance.tolist(), strict=True)
            if day is not None and value >= min_score and value > 0
        )
    return matches


def _phrases(text: str) -> set[str]:
    """The 1-3 word phrases of a text that could name a topic (no stop or filler words at
    their ends; single words of at least four letters)."""
    found: set[str] = set()
    for sentence in _CLAUSE.split(text.lower()):  # a phrase never spans two sentences
        found |= _sentence_phrases(_WORD.findall(sentence))
    return found


def _sentence_phrases(words: list[str]) -> set[str]:
    found: set[str] = set()
    for n in (1, 2, 3):
        for start in range(len(words) - n + 1):
            gram = words[start : start + n]
            if any(w in STOP_WORDS or w in _BOILERPLATE for w in (gram[0], gram[-1])):
                continue
            if n == 1 and (len(gram[0]) < 4 or gram[0].isdigit()):
                continue
            if any(w.isdigit() for w in gram):
                continue
            found.add(" ".join(gram))
    return found


def _preference(candidate: tuple[float, int, str, float, float, int]) -> tuple[object, ...]:
    """Most risen first; among phrases that rose as much, two-word phrases (the most
    telling), then single words, then three words; then the longer spelling."""
    rise, negative_words, phrase, *_ = candidate
    words = -negative_words
    return (round(rise, 9), words != 2, words, -len(phrase), phrase)


def rising_phrases(
    current: Iterable[Paper], previous: Iterable[Paper], *, limit: int = 6, min_papers: int = 2
) -> tuple[RisingPhrase, ...]:
    """Phrases whose share of papers rose most from ``previous`` to ``current``.

    Shares are per paper (a phrase counts once per paper); a phrase needs ``min_papers``
    papers now; of the phrases found in exactly the same papers, only one is shown."""
    now_papers = [_phrases(f"{p.title}. {p.abstract}") for p in current]
    before_papers = [_phrases(f"{p.title}. {p.abstract}") for p in previous]
    if not now_papers:
        return ()
    now = Counter(ph for phrases in now_papers for ph in phrases)
    before = Counter(ph for phrases in before_papers for ph in phrases)
    n_now, n_before = len(now_papers), max(len(before_papers), 1)
    candidates = []
    for phrase, count in now.items():
        if count < min_papers:
            continue
        share = count / n_now
        previous_share = before.get(phrase, 0) / n_before
        if share <= previous_share:
            continue
        candidates.append(
            (-(share - previous_share), -len(phrase.split()), phrase, share, previous_share, count)
        )
    candidates.sort()
    chosen: list[RisingPhrase] = []
    shown_sets: set[frozenset[int]] = set()
    for _, _, phrase, share, previous_share, count in sorted(candidates, key=_preference):
        if len(chosen) >= limit:
            break
        papers_with = frozenset(n for n, phrases in enumerate(now_papers) if phrase in phrases)
        if papers_with in shown_sets:
            continue  # exactly the papers of a phrase already shown: it says the same
        shown_sets.add(papers_with)
        chosen.append(
            RisingPhrase(
                phrase=phrase,
                share=round(share, 4),
                previous=round(previous_share, 4),
                papers=count,
            )
        )
    chosen.sort(key=lambda c: (-c.rise, c.phrase))
    return tuple(chosen)


def build_trends(
    matches: Iterable[Match],
    papers: Mapping[str, Paper],
    *,
    interests: Sequence[str],
    today: date,
    weeks: int = DEFAULT_WEEKS,
    votes: Mapping[str, int] | None = None,
    vote_label: str = "votes",
    title: str = "Trends",
    top: int = 5,
) -> Trends:
    """The picture's data for the ``weeks`` weeks up to ``today``'s week.

    ``matches`` may reach further back: the period before (as long) is what the rising
    phrases are measured against. ``interests`` (interest keys) give the series' order; a
    matched interest not among them (since removed) is left out. ``votes`` (net votes per
    paper key) rank the period's top papers: only papers with a positive count are shown."""
    starts = week_starts(today, weeks)
    first = starts[0]
    end = starts[-1] + timedelta(days=7)
    before_start = first - timedelta(weeks=weeks)
    counts: dict[str, list[int]] = {key: [0] * weeks for key in interests}
    in_period: set[str] = set()
    in_previous: set[str] = set()
    seen: set[tuple[str, str]] = set()
    for match in matches:
        if (match.interest, match.paper_key) in seen:
            continue
        seen.add((match.interest, match.paper_key))
        if first <= match.day < end:
            in_period.add(match.paper_key)
            if match.interest in counts:
                counts[match.interest][(match.day - first).days // 7] += 1
        elif before_start <= match.day < first:
            in_previous.add(match.paper_key)
    series = tuple(
        InterestSeries(interest=key, label=interest_label(key), counts=tuple(values))
        for key, values in counts.items()
    )
    current = [papers[k] for k in sorted(in_period) if k in papers]
    previous = [papers[k] for k in sorted(in_previous) if k in papers]
    ranked = sorted(
        (
            (-(votes or {}).get(p.key, 0), p.title.lower(), p)
            for p in current
            if (votes or {}).get(p.key, 0) > 0
        ),
        key=lambda row: (row[0], row[1]),
    )
    return Trends(
        title=title,
        weeks=starts,
        series=series,
        top=tuple(TopPaper(paper=p, votes=-v) for v, _, p in ranked[:top]),
        rising=rising_phrases(current, previous),
        vote_label=vote_label,
    )
