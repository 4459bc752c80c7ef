"""The digest service's "why (not) posted" query: gathers the facts for ``digest.why``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING

from digest.errors import UsageError
from digest.models import Channel, DigestItem, Interest, InterestKind, Paper
from digest.ports import Clock, Repository
from digest.ranking.index import CorpusIndex
from digest.ranking.ranker import ChannelProfile, HybridRanker, interest_key
from digest.ranking.selection import select
from digest.why import (
    InterestScore,
    Placement,
    WhyReport,
    exclusion_terms,
    explain,
    find_stored,
    mentions,
    unmet_filters,
)

__all__ = ["WhyQuery"]


class WhyQuery:
    """Mixed into ``DigestService``: what it scores with, asked about one paper."""

    _repository: Repository
    _clock: Clock
    _ranker: HybridRanker
    _window: timedelta

    if TYPE_CHECKING:

        def _corpus(self, papers: Sequence[Paper]) -> CorpusIndex: ...

        def _seeds(self, interests: Sequence[Interest]) -> dict[str, Paper]: ...

        def recent(self) -> list[Paper]: ...

        def local_day(self, channel: Channel) -> date: ...

        def profile(self, channel: Channel) -> ChannelProfile: ...

    def why(self, channel: Channel, reference: str) -> WhyReport:
        """Why the paper ``reference`` names was (not) posted in ``channel`` (CPU-bound: call
        it in a thread). Raises UsageError when the reference fits several papers."""
        assert channel.id is not None
        paper, candidates = find_stored(reference, self._repository.list_papers(limit=50_000))
        if candidates:
            titles = "; ".join(f"“{p.title}” ({p.arxiv_id or p.key})" for p in candidates[:3])
            raise UsageError(f"several papers match: {titles}. Name one by its id or link")
        days = max(1, round(self._window / timedelta(days=1)))
        now = self._clock.now()
        if paper is None:
            return explain(
                reference=reference, channel=channel, paper=None, now=now, window_days=days
            )
        recent = self.recent()
        in_recent = any(p.key == paper.key for p in recent)
        index = self._corpus(recent if in_recent else [*recent, paper])
        today = self.local_day(channel)
        profile = self.profile(channel)

        def item_of(ranked: list[DigestItem]) -> DigestItem | None:
            return next((i for i in ranked if i.paper.key == paper.key), None)

        scores = []
        for interest in profile.interests:
            if interest.kind == InterestKind.EXCLUSION:
                continue
            alone = ChannelProfile(
                interests=(interest,), seeds=self._seeds((interest,)), priors=profile.priors
            )
            item = item_of(self._ranker.score_index(index, alone, today=today))
            scores.append(
                InterestScore(
                    interest=interest,
                    relevance=(item.relevance or 0.0) if item else 0.0,
                    score=item.score if item else 0.0,
                    why=item.why if item else "no match",
                    unmet=unmet_filters(paper, interest),
                )
            )
        deliveries = self._repository.list_deliveries(channel.id)
        delivery = next((d for d in deliveries if d.paper_key == paper.key), None)
        run = self._repository.get_run(delivery.run_id) if delivery and delivery.run_id else None
        placement = None
        if in_recent and delivery is None:
            delivered = {d.paper_key for d in deliveries}
            ranked = self._ranker.score_index(index, profile, today=today)
            scored = [i for i in ranked if i.paper.key not in delivered]
            item = item_of(scored)
            if item is not None:
                shares = {interest_key(i): i.weight for i in profile.interests}
                picked = select(
                    scored, top=channel.digest_size, min_score=channel.min_score, shares=shares
                )
                placement = Placement(
                    item=item,
                    rank=scored.index(item) + 1,
                    candidates=len(scored),
                    picked=any(i.paper.key == paper.key for i in picked),
                )
        terms = exclusion_terms(profile.interests)
        return explain(
            reference=reference,
            channel=channel,
            paper=paper,
            now=now,
            window_days=days,
            interests=scores,
            excluded_by=[t for t in terms if mentions(paper, t)],
            delivery=delivery,
            run=run,
            placement=placement,
        )
