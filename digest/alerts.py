"""Instant alerts: a paper matching an instant follow is posted as soon as it is ingested.

Each alert is a one-paper run in the outbox (kind "alert"): recorded before it is sent,
claimed, reconciled after a crash and paced like a digest, and its delivery row keeps the
paper out of every later digest of the channel. A channel gets at most ``per_day`` alerts
a day (its own time zone); past that, matching papers wait for the next digest. Only
papers first seen within the last ``window`` (6 hours) alert: an alert is news or nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from digest.authors import any_author_matches
from digest.compose import Digest
from digest.errors import UsageError
from digest.models import Channel, DigestItem, DigestRun, Interest, InterestKind, Paper
from digest.outbox import Outbox
from digest.ports import Clock, Repository
from digest.ranking.query import parse_query

__all__ = ["AlertService", "instant_allowed", "instant_match"]

log = logging.getLogger(__name__)


def instant_allowed(interest: Interest) -> bool:
    """Only exact follows can alert: an author, a category, or phrases (no fuzzy topic,
    whose matches only ranking can judge)."""
    if interest.kind in (InterestKind.AUTHOR, InterestKind.CATEGORY):
        return True
    if interest.kind != InterestKind.QUERY:
        return False
    try:
        parsed = parse_query(interest.text)
    except UsageError:
        return False
    return bool(parsed.phrases) and not parsed.terms and not parsed.seeds


def _in_category(paper: Paper, category: str) -> bool:
    wanted = category.lower()
    return any(c.lower() == wanted or c.lower().startswith(wanted + ".") for c in paper.categories)


def _mentions(paper: Paper, phrase: str) -> bool:
    pattern = rf"(?<!\w){re.escape(' '.join(phrase.lower().split()))}(?!\w)"
    return bool(re.search(pattern, " ".join(f"{paper.title} {paper.abstract}".lower().split())))


def instant_match(paper: Paper, interest: Interest) -> bool:
    """Whether ``paper`` is one the instant follow asks for."""
    if interest.kind == InterestKind.AUTHOR:
        return any_author_matches(paper.authors, interest.text)
    if interest.kind == InterestKind.CATEGORY:
        return _in_category(paper, interest.text)
    try:
        parsed = parse_query(interest.text)
    except UsageError:
        return False
    if any(_mentions(paper, term) for term in parsed.excluded):
        return False
    return (
        all(_mentions(paper, p) for p in parsed.phrases)
        and all(any_author_matches(paper.authors, a) for a in parsed.authors)
        and all(_in_category(paper, c) for c in parsed.categories)
    )


def _describe(interest: Interest) -> str:
    if interest.kind == InterestKind.AUTHOR:
        return f"by {interest.text}, whom this channel follows"
    if interest.kind == InterestKind.CATEGORY:
        return f"new in {interest.text}, which this channel follows"
    return f"matches {interest.text}, which this channel follows"


class AlertService:
    """Finds newly ingested papers that instant follows want, and queues one alert each."""

    def __init__(
        self,
        repository: Repository,
        clock: Clock,
        outbox: Outbox,
        *,
        per_day: int = 10,
        window: timedelta = timedelta(hours=6),
    ) -> None:
        self._repository = repository
        self._clock = clock
        self._outbox = outbox
        self._per_day = per_day
        self._window = window

    def scan(self) -> list[DigestRun]:
        """Queues alerts for the papers first seen within the window (oldest first) that a
        channel's instant follow wants, that the channel never had, and that arrived after
        the follow was added; at most ``per_day`` per channel and day. Returns the runs."""
        now = self._clock.now()
        papers = sorted(
            self._repository.list_papers(since=now - self._window),
            key=lambda p: (p.first_seen or now, p.key),
        )
        if not papers:
            return []
        queued: list[DigestRun] = []
        for channel in self._repository.list_channels():
            if channel.paused or channel.id is None:
                continue
            instant = [i for i in self._repository.list_interests(channel.id) if i.instant]
            if instant:
                queued += self._scan_channel(channel, instant, papers, now)
        return queued

    def _scan_channel(
        self, channel: Channel, instant: Sequence[Interest], papers: Sequence[Paper], now: datetime
    ) -> list[DigestRun]:
        assert channel.id is not None
        zone = ZoneInfo(channel.schedule.timezone)
        local_day = now.astimezone(zone).date()
        midnight = datetime.combine(local_day, datetime.min.time(), tzinfo=zone)
        used = self._repository.count_runs(channel.id, kind="alert", since=midnight)
        delivered = self._repository.delivered_keys(channel.id)
        queued: list[DigestRun] = []
        for paper in papers:
            if paper.key in delivered:
                continue
            interest = next(
                (
                    i
                    for i in instant
                    if (
                        i.added_at is None
                        or paper.first_seen is None
                        or paper.first_seen >= i.added_at
                    )
                    and instant_match(paper, i)
                ),
                None,
            )
            if interest is None:
                continue
            if used >= self._per_day:
                log.info(
                    "daily alert cap reached; the rest waits for the digest",
                    extra={"channel": channel.address, "cap": self._per_day},
                )
                break
            digest = Digest(
                channel=channel,
                day=local_day,
                items=(DigestItem(paper=paper, score=1.0, why=_describe(interest)),),
                scanned=1,
                kind="alert",
            )
            queued.append(self._outbox.enqueue(digest))
            delivered.add(paper.key)
            used += 1
        return queued
