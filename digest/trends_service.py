"""Trends from what storage holds: matches recorded as papers arrive, read back per picture."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from digest.models import Channel, InterestKind
from digest.ports import Clock, Repository
from digest.ranking.ranker import interest_key
from digest.service import DigestService
from digest.trends import DEFAULT_WEEKS, Trends, build_trends, week_starts

__all__ = ["TrendsService"]

log = logging.getLogger(__name__)


class TrendsService:
    """Records each channel's interest matches after every ingest, and builds its picture
    from them (never re-ranking the period's papers per request)."""

    def __init__(self, repository: Repository, clock: Clock, digests: DigestService) -> None:
        self._repository = repository
        self._clock = clock
        self._digests = digests

    def record(self, channel: Channel, *, since: datetime | None = None) -> int:
        """Stores the channel's matches among the recent papers; returns how many were new."""
        assert channel.id is not None
        return self._repository.record_matches(
            channel.id, self._digests.matches(channel, since=since)
        )

    def record_all(self, *, since: datetime | None = None) -> int:
        """``record`` for every channel that is not paused (after an ingest)."""
        total = 0
        for channel in self._repository.list_channels():
            if channel.paused or channel.id is None:
                continue
            try:
                total += self.record(channel, since=since)
            except Exception:  # one channel's odd interest must not stop the others
                log.exception("recording matches failed", extra={"channel": channel.address})
        return total

    def build(
        self, channel: Channel, *, weeks: int = DEFAULT_WEEKS, at: datetime | None = None
    ) -> Trends:
        """The channel's picture for the ``weeks`` weeks up to ``at`` (default now)."""
        assert channel.id is not None
        at = at or self._clock.now()
        today = at.astimezone(ZoneInfo(channel.schedule.timezone)).date()
        first = week_starts(today, weeks)[0]
        matches = self._repository.list_matches(channel.id, since=first - timedelta(weeks=weeks))
        papers = self._repository.get_papers(sorted({m.paper_key for m in matches}))
        period_start = datetime.combine(first, datetime.min.time(), tzinfo=at.tzinfo)
        votes: dict[str, int] = {}
        for vote in self._repository.list_feedback(channel.id):
            if period_start <= vote.at <= at:
                votes[vote.paper_key] = votes.get(vote.paper_key, 0) + vote.value
        interests = [
            interest_key(i)
            for i in self._repository.list_interests(channel.id)
            if i.kind != InterestKind.EXCLUSION
        ]
        where = "your digest" if channel.is_personal else f"#{channel.name or channel.channel_id}"
        return build_trends(
            matches,
            papers,
            interests=interests,
            today=today,
            weeks=weeks,
            votes=votes,
            title=f"Trends for {where}",
        )
