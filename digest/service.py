"""The core's use cases: ingest sources, compose digests, deliver them through an outbox."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from digest.compose import Digest
from digest.errors import SourceError
from digest.models import Channel, DigestRun, InterestKind, Paper, SourceHealth
from digest.ports import (
    Clock,
    FetchResult,
    PaperSource,
    Publisher,
    Ranker,
    Repository,
    UpsertCounts,
)
from digest.ranking.ranker import ChannelProfile, LexicalRanker, select

__all__ = [
    "DigestService",
    "IngestReport",
    "IngestService",
    "SourceReport",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True, slots=True)
class SourceReport:
    source: str
    status: str  # ok | not_modified | quiet | failed
    counts: UpsertCounts = dataclasses.field(default_factory=UpsertCounts)
    fetched: int = 0
    error: str | None = None
    note: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class IngestReport:
    day: date
    sources: tuple[SourceReport, ...]

    @property
    def counts(self) -> UpsertCounts:
        total = UpsertCounts()
        for report in self.sources:
            total += report.counts
        return total

    @property
    def failed(self) -> tuple[str, ...]:
        return tuple(r.source for r in self.sources if r.status == "failed")


class IngestService:
    def __init__(self, repository: Repository, clock: Clock) -> None:
        self._repository = repository
        self._clock = clock

    def store(self, result: FetchResult) -> UpsertCounts:
        """Store one fetch: new papers, plus updates that only refresh papers already stored."""
        now = self._clock.now()
        counts = self._repository.upsert_papers(result.papers, now)
        known_updates = [p for p in result.updates if self._repository.get_paper(p.key)]
        if known_updates:
            counts += self._repository.upsert_papers(known_updates, now)
        return counts

    async def ingest(self, sources: Sequence[PaperSource], day: date) -> IngestReport:
        """Fetch every source; a failing one is recorded and skipped, never fatal."""
        reports = [await self._ingest_one(source, day) for source in sources]
        return IngestReport(day=day, sources=tuple(reports))

    async def _ingest_one(self, source: PaperSource, day: date) -> SourceReport:
        health = self._repository.get_source_health(source.name)
        try:
            result = await source.fetch(day)
            counts = self.store(result)
        except SourceError as exc:
            log.warning("source failed", extra={"source": source.name, "error": exc.reason})
            self._repository.save_source_health(
                dataclasses.replace(health, last_error=exc.reason, last_error_at=self._clock.now())
            )
            return SourceReport(source=source.name, status="failed", error=exc.reason)
        self._repository.save_source_health(
            dataclasses.replace(health, last_success=self._clock.now(), last_note=result.note)
        )
        log.info(
            "source fetched",
            extra={
                "source": source.name,
                "status": result.status,
                "new": counts.new,
                "updated": counts.updated,
            },
        )
        return SourceReport(
            source=source.name,
            status=result.status,
            counts=counts,
            fetched=len(result.papers),
            note=result.note,
        )

    def health(self) -> list[SourceHealth]:
        return self._repository.list_source_health()


class DigestService:
    """Composes digests from stored papers and hands them to a publisher through an outbox."""

    def __init__(
        self,
        repository: Repository,
        clock: Clock,
        *,
        ranker: Ranker | None = None,
        window: timedelta = timedelta(days=3),
    ) -> None:
        self._repository = repository
        self._clock = clock
        self._ranker: Ranker = ranker or LexicalRanker()
        self._window = window

    def local_day(self, channel: Channel) -> date:
        return self._clock.now().astimezone(ZoneInfo(channel.schedule.timezone)).date()

    def profile(self, channel: Channel) -> ChannelProfile:
        assert channel.id is not None
        interests = tuple(self._repository.list_interests(channel.id))
        votes: dict[str, int] = {}
        for vote in self._repository.list_feedback(channel.id):
            votes[vote.paper_key] = votes.get(vote.paper_key, 0) + vote.value
        liked = tuple(p for k, v in votes.items() if v > 0 and (p := self._repository.get_paper(k)))
        disliked = tuple(
            p for k, v in votes.items() if v < 0 and (p := self._repository.get_paper(k))
        )
        seed_ids = [i.text for i in interests if i.kind == InterestKind.SEED]
        seeds = {s: p for s in seed_ids if (p := self._repository.get_paper(s))}
        return ChannelProfile(interests=interests, liked=liked, disliked=disliked, seeds=seeds)

    def candidates(self, channel: Channel, *, since: datetime | None = None) -> list[Paper]:
        """Recent papers this channel has never been sent."""
        assert channel.id is not None
        since = since or self._clock.now() - self._window
        delivered = self._repository.delivered_keys(channel.id)
        return [p for p in self._repository.list_papers(since=since) if p.key not in delivered]

    def compose(
        self,
        channel: Channel,
        *,
        failed_sources: Sequence[str] = (),
        note: str | None = None,
        preview: bool = False,
        since: datetime | None = None,
    ) -> Digest:
        papers = self.candidates(channel, since=since)
        day = self.local_day(channel)
        scored = self._ranker.score(papers, self.profile(channel), today=day)
        picked = select(scored, top=channel.digest_size, min_score=channel.min_score)
        picked_keys = {item.paper.key for item in picked}
        left_out = tuple(i for i in scored if i.paper.key not in picked_keys and i.score > 0)[:5]
        return Digest(
            channel=channel,
            day=day,
            items=tuple(picked),
            scanned=len(papers),
            failed_sources=tuple(failed_sources),
            note=note,
            preview=preview,
            left_out=left_out if preview else (),
        )

    async def deliver(self, digest: Digest, publisher: Publisher) -> DigestRun:
        """Record the digest's deliveries first (the outbox), then send, then mark them sent."""
        channel = digest.channel
        assert channel.id is not None
        run = self._repository.start_run(
            DigestRun(
                channel_id=channel.id,
                started_at=self._clock.now(),
                scanned=digest.scanned,
                failed_sources=digest.failed_sources,
            )
        )
        assert run.id is not None
        deliveries = self._repository.record_deliveries(
            channel.id, run.id, [item.paper.key for item in digest.items]
        )
        recorded = {d.paper_key for d in deliveries}
        # Another run may have claimed some papers in between: send only what this run owns.
        owned = tuple(i for i in digest.items if i.paper.key in recorded)
        digest = dataclasses.replace(digest, items=owned)
        try:
            message_ids = await publisher.publish(digest, delivery_tag=f"run-{run.id}")
        except Exception:
            for delivery in deliveries:
                assert delivery.id is not None
                self._repository.mark_delivery(delivery.id, status="failed")
            self._repository.finish_run(run.id, status="failed", picked=len(owned))
            raise
        for delivery in deliveries:
            assert delivery.id is not None
            self._repository.mark_delivery(
                delivery.id, status="sent", message_id=message_ids[0] if message_ids else None
            )
        self._repository.finish_run(run.id, status="sent", picked=len(owned))
        return dataclasses.replace(run, status="sent", picked=len(owned))
