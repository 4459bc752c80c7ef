"""Why a paper was (not) posted in a channel: a pure account over what storage already holds.

The service gathers the facts (the stored paper, the channel's interests and scores, its
deliveries); ``explain`` turns them into a ``WhyReport`` that every front end shows: the
chat commands as lines, the web panel as a page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from digest.errors import UsageError
from digest.models import Channel, DigestItem, DigestRun, Interest, InterestKind, Paper
from digest.ports import Delivery
from digest.ranking.index import author_match
from digest.ranking.query import interest_filters, parse_query
from digest.summarise.reference import parse_reference

__all__ = [
    "InterestScore",
    "Placement",
    "WhyReport",
    "exclusion_terms",
    "explain",
    "find_stored",
    "mentions",
    "unmet_filters",
]


@dataclass(frozen=True, kw_only=True, slots=True)
class InterestScore:
    """The paper against one interest alone."""

    interest: Interest
    relevance: float  # absolute, in [0, 1]: what the threshold is applied to
    score: float  # ordering score
    why: str
    unmet: tuple[str, ...] = ()  # the interest's filters the paper fails ("is by ...")


@dataclass(frozen=True, kw_only=True, slots=True)
class Placement:
    """Where the paper ranks today among the channel's candidates (those never sent)."""

    item: DigestItem  # its score with the channel's whole profile, and the explanation
    rank: int  # 1-based
    candidates: int
    picked: bool  # today's digest would hold it


@dataclass(frozen=True, kw_only=True, slots=True)
class WhyReport:
    reference: str
    channel: Channel
    paper: Paper | None
    verdict: str
    in_window: bool = False
    window_days: int = 3
    interests: tuple[InterestScore, ...] = ()
    excluded_by: tuple[str, ...] = ()
    delivery: Delivery | None = None
    run: DigestRun | None = None
    placement: Placement | None = None

    @property
    def threshold(self) -> float:
        return self.channel.min_score

    def lines(self) -> tuple[str, ...]:
        """The report as plain lines, for chat."""
        paper = self.paper
        if paper is None:
            return ()
        seen = f"{paper.first_seen:%a %d %b %Y %H:%M} UTC" if paper.first_seen else "unknown"
        lines = [f"Fetched: {seen} from {', '.join(paper.sources) or 'an unknown source'}"]
        if not self.in_window:
            lines.append(
                f"Older than the {self.window_days}-day window digests choose from: "
                "not a candidate any more"
            )
        for s in self.interests:
            label = f"[{s.interest.kind.value}] {s.interest.text}"
            note = f" — fails its filter: {', '.join(s.unmet)}" if s.unmet else f" — {s.why}"
            lines.append(f"Interest {label}: relevance {s.relevance:.2f}{note}")
        if not self.interests:
            lines.append("This channel has no interests: nothing can match")
        lines.append(f"Threshold: {self.threshold:g}")
        if self.excluded_by:
            lines.append(f"Dropped by the exclusion {', '.join(self.excluded_by)}")
        if self.delivery is not None:
            lines.append(f"Already sent here: {_delivery_text(self.delivery, self.run)}")
        else:
            lines.append("Never sent here")
        if self.placement is not None:
            p = self.placement
            lines.append(
                f"Today: ranks {p.rank} of {p.candidates} candidates "
                f"(score {p.item.score:.2f}, relevance {(p.item.relevance or 0):.2f}); "
                + ("today's digest would hold it" if p.picked else "today's digest would not")
            )
        return tuple(lines)


def _delivery_text(delivery: Delivery, run: DigestRun | None) -> str:
    when = f" in the digest of {run.started_at:%a %d %b %Y %H:%M} UTC" if run else ""
    return f"{delivery.status}{when}"


def find_stored(text: str, papers: Sequence[Paper]) -> tuple[Paper | None, tuple[Paper, ...]]:
    """The stored paper ``text`` names (arXiv id or link, DOI, or title words), or the few
    candidates when title words fit several. Never asks the network: a paper not stored was
    never fetched. Raises UsageError for a reference that cannot be read."""
    reference = parse_reference(text)
    if reference.kind == "arxiv":
        found = next((p for p in papers if p.arxiv_id == reference.value), None)
        return found, ()
    if reference.kind == "doi":
        return next((p for p in papers if p.doi == reference.value), None), ()
    words = _words(reference.value)
    if not words:
        raise UsageError("say which paper: an arXiv id, a link, or words of its title")
    scored = []
    for paper in papers:
        title = _words(paper.title)
        if title == words:
            return paper, ()
        overlap = len(words & title) / len(words)
        if overlap >= 0.6:
            scored.append((overlap, paper))
    scored.sort(key=lambda s: (-s[0], s[1].key))
    if not scored:
        return None, ()
    if len(scored) == 1 or scored[0][0] > scored[1][0]:
        return scored[0][1], ()
    return None, tuple(p for _, p in scored[:5])


def _words(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"\w+", text.lower()))


def exclusion_terms(interests: Sequence[Interest]) -> tuple[str, ...]:
    """Every term a channel excludes (exclusion interests, and -terms of its queries)."""
    terms = [i.text.lower() for i in interests if i.kind == InterestKind.EXCLUSION]
    for interest in interests:
        if interest.kind == InterestKind.QUERY:
            try:
                terms += [t.lower() for t in parse_query(interest.text).excluded]
            except UsageError:
                continue
    return tuple(dict.fromkeys(terms))


def mentions(paper: Paper, term: str) -> bool:
    text = f"{paper.title} {paper.abstract}".lower()
    return re.search(rf"(?<!\w){re.escape(term)}(?!\w)", text) is not None


def unmet_filters(paper: Paper, interest: Interest) -> tuple[str, ...]:
    """The filters of ``interest`` (author, category, exact phrase) this paper fails."""
    authors, categories, phrases = interest_filters(interest.kind.value, interest.text)
    unmet = []
    if authors and not any(author_match(paper, a) for a in authors):
        unmet.append(f"is not by {' or '.join(authors)}")
    if categories and not any(
        c.lower() == w.lower() or c.lower().startswith(w.lower() + ".")
        for w in categories
        for c in paper.categories
    ):
        unmet.append(f"is not in {' or '.join(categories)}")
    unmet += [f"does not contain “{p}”" for p in phrases if not mentions(paper, p.lower())]
    return tuple(unmet)


def explain(
    *,
    reference: str,
    channel: Channel,
    paper: Paper | None,
    now: datetime,
    window_days: int,
    interests: Sequence[InterestScore] = (),
    excluded_by: Sequence[str] = (),
    delivery: Delivery | None = None,
    run: DigestRun | None = None,
    placement: Placement | None = None,
) -> WhyReport:
    """The verdict, from the facts: the first reason that decides it is the one told."""
    in_window = bool(
        paper
        and paper.first_seen
        and (now - paper.first_seen).total_seconds() <= window_days * 86400
    )
    best = max((s.relevance for s in interests), default=0.0)
    if paper is None:
        verdict = "Not fetched: no stored paper matches, so paperboy never had it to post."
    elif delivery is not None and delivery.status == "sent":
        verdict = "Posted: " + _delivery_text(delivery, run) + "."
    elif delivery is not None and delivery.status == "pending":
        verdict = "Being posted: it is in a digest that is still going out."
    elif delivery is not None:
        verdict = (
            "Not posted: the digest that held it failed (" + _delivery_text(delivery, run) + ")."
        )
    elif excluded_by:
        verdict = f"Not posted: dropped by the exclusion {', '.join(excluded_by)}."
    elif not interests:
        verdict = "Not posted: this channel has no interests yet."
    elif best < channel.min_score:
        verdict = (
            f"Not posted: below the threshold (best relevance {best:.2f} < {channel.min_score:g})."
        )
    elif not in_window:
        verdict = f"Not posted: it was fetched more than {window_days} days ago, before "
        verdict += "a digest of this channel chose from it with these interests."
    elif placement is not None and placement.picked:
        verdict = f"Not posted yet: the next digest would hold it (rank {placement.rank})."
    elif placement is not None:
        verdict = (
            f"Not posted: above the threshold, but it ranks {placement.rank} of "
            f"{placement.candidates} and a digest holds at most {channel.digest_size} "
            "(places are shared among the interests)."
        )
    else:
        verdict = "Not posted."
    return WhyReport(
        reference=reference,
        channel=channel,
        paper=paper,
        verdict=verdict,
        in_window=in_window,
        window_days=window_days,
        interests=tuple(interests),
        excluded_by=tuple(excluded_by),
        delivery=delivery,
        run=run,
        placement=placement,
    )
