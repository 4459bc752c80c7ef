"""The core's use cases: ingest sources and compose digests (delivery: digest.outbox)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from digest.compose import Digest
from digest.errors import SourceError
from digest.models import (
    Channel,
    DigestItem,
    Interest,
    Match,
    Paper,
    SourceHealth,
)
from digest.ports import (
    Clock,
    EmbeddingStore,
    FetchResult,
    PaperSource,
    Repository,
    StoredEmbedding,
    UpsertCounts,
)
from digest.ranking.embedding import Embedder, paper_text
from digest.ranking.index import CorpusIndex, embed_sentences
from digest.ranking.query import interest_filters
from digest.ranking.ranker import (
    ChannelProfile,
    HybridRanker,
    LexicalRanker,
    Priors,
    interest_key,
    seed_ids,
)
from digest.ranking.selection import select
from digest.schedule import is_due, next_run
from digest.trends import match_index
from digest.why_service import WhyQuery

__all__ = [
    "DigestService",
    "IngestReport",
    "IngestService",
    "InterestTrial",
    "SourceReport",
    "ensure_embeddings",
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
    def __init__(
        self,
        repository: Repository,
        clock: Clock,
        *,
        embedder: Embedder | None = None,
        observe: Callable[[str, float, bool], None] | None = None,
    ) -> None:
        self._repository = repository
        self._clock = clock
        self._embedder = embedder
        self._observe = observe  # (source, seconds, failed): how operations see the fetches

    def store(self, result: FetchResult) -> UpsertCounts:
        """Store one fetch: new papers, plus updates that only refresh papers already stored."""
        now = self._clock.now()
        counts = self._repository.upsert_papers(result.papers, now)
        known_updates = [p for p in result.updates if self._repository.get_paper(p.key)]
        if known_updates:
            counts += self._repository.upsert_papers(known_updates, now)
        if self._embedder is not None and counts.new:
            fresh = self._repository.list_papers(since=now)
            ensure_embeddings(self._repository, self._embedder, fresh)
        return counts

    async def ingest(self, sources: Sequence[PaperSource], day: date) -> IngestReport:
        """Fetch every source; a failing one is recorded and skipped, never fatal."""
        reports = [await self._ingest_one(source, day) for source in sources]
        return IngestReport(day=day, sources=tuple(reports))

    async def _ingest_one(self, source: PaperSource, day: date) -> SourceReport:
        health = self._repository.get_source_health(source.name)
        started = time.perf_counter()
        try:
            result = await source.fetch(day)
            # Storing and embedding are slow (the database, the model): off the event loop.
            counts = await asyncio.to_thread(self.store, result)
        except SourceError as exc:
            if self._observe:
                self._observe(source.name, time.perf_counter() - started, True)
            log.warning("source failed", extra={"source": source.name, "error": exc.reason})
            self._repository.save_source_health(
                dataclasses.replace(health, last_error=exc.reason, last_error_at=self._clock.now())
            )
            return SourceReport(source=source.name, status="failed", error=exc.reason)
        if self._observe:
            self._observe(source.name, time.perf_counter() - started, False)
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


def ensure_embeddings(
    store: EmbeddingStore, embedder: Embedder, papers: Sequence[Paper]
) -> dict[str, StoredEmbedding]:
    """Every paper's stored embedding, computing (once, in one batch) and keeping the missing."""
    keys = [p.key for p in papers]
    found = store.get_embeddings(keys, embedder.name)
    missing = [p for p in papers if p.key not in found]
    if missing:
        whole = embedder.embed([paper_text(p) for p in missing])
        parts = embed_sentences(embedder, missing)
        fresh = {
            paper.key: StoredEmbedding(vector=vector, sentences=sentences)
            for paper, vector, sentences in zip(missing, whole, parts, strict=True)
        }
        store.put_embeddings(embedder.name, fresh)
        found.update(store.get_embeddings([p.key for p in missing], embedder.name))
    return found


@dataclass(frozen=True, kw_only=True, slots=True)
class InterestTrial:
    """What one interest alone would have picked from the recent papers, at its channel's
    size and threshold: told to whoever adds it, so a too-narrow interest shows at once."""

    scanned: int
    days: int
    picked: tuple[DigestItem, ...]
    # When nothing is picked: the interest's filters no recent paper passes ("is in cs.RO",
    # "is by Ada Lovelace", "contains “exact phrase”"), which say why.
    unmet: tuple[str, ...] = ()


def _priors(channel: Channel) -> Priors:
    """The boosts a channel keeps switched on."""
    return Priors(
        upvotes=channel.boost_upvotes, recency=channel.boost_recency, code=channel.boost_code
    )


def _unmet_filters(index: CorpusIndex, interest: Interest) -> tuple[str, ...]:
    """The filters of ``interest`` (author, category, exact phrase) that no paper passes."""
    authors, categories, phrases = interest_filters(interest.kind.value, interest.text)
    unmet = []
    if authors and not any(index.by_author(a).any() for a in authors):
        unmet.append(f"is by {' or '.join(authors)}")
    if categories and not any(index.in_category(c).any() for c in categories):
        unmet.append(f"is in {' or '.join(categories)}")
    unmet += [f"contains “{p}”" for p in phrases if not index.mentions(p.lower()).any()]
    return tuple(unmet)


class DigestService(WhyQuery):
    """Composes digests from stored papers and hands them to a publisher through an outbox."""

    def __init__(
        self,
        repository: Repository,
        clock: Clock,
        *,
        ranker: HybridRanker | None = None,
        window: timedelta = timedelta(days=3),
        tldr_for: Callable[[Paper], str] | None = None,
    ) -> None:
        self._repository = repository
        self._clock = clock
        self._ranker = ranker or LexicalRanker()
        self._window = window
        self._tldr_for = tldr_for
        self._index: tuple[tuple[str, ...], CorpusIndex] | None = None
        # Digests, previews and interest trials compose in worker threads: one builds the
        # day's index while the others wait for it, rather than each building its own.
        self._index_lock = threading.Lock()

    def _corpus(self, papers: Sequence[Paper]) -> CorpusIndex:
        """The day's index, built once and shared by every channel until the papers change."""
        with self._index_lock:
            return self._corpus_locked(papers)

    def _corpus_locked(self, papers: Sequence[Paper]) -> CorpusIndex:
        keys = tuple(p.key for p in papers)
        if self._index is not None and self._index[0] == keys:
            return self._index[1]
        embedder = self._ranker.embedder
        if embedder is None:
            index = self._ranker.index(papers)
        else:
            stored = ensure_embeddings(self._repository, embedder, papers)
            index = self._ranker.index(
                papers,
                vectors=np.vstack([stored[k].vector for k in keys]).astype(np.float32)
                if keys
                else None,
                sentences=[stored[k].sentences for k in keys],
            )
        # The day's interests, scored together now rather than one by one as channels fall due.
        self._ranker.prepare(index, self._repository.followed_queries())
        self._index = (keys, index)
        return index

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
        return ChannelProfile(
            interests=interests,
            liked=liked,
            disliked=disliked,
            seeds=self._seeds(interests),
            priors=_priors(channel),
        )

    def _seeds(self, interests: Sequence[Interest]) -> dict[str, Paper]:
        """The stored papers that ``like:`` interests name."""
        return {s: p for s in seed_ids(interests) if (p := self._repository.get_paper(s))}

    def recent(self, since: datetime | None = None) -> list[Paper]:
        return self._repository.list_papers(since=since or self._clock.now() - self._window)

    def candidates(self, channel: Channel, *, since: datetime | None = None) -> list[Paper]:
        """Recent papers this channel has never been sent."""
        assert channel.id is not None
        delivered = self._repository.delivered_keys(channel.id)
        return [p for p in self.recent(since) if p.key not in delivered]

    def matches(self, channel: Channel, *, since: datetime | None = None) -> list[Match]:
        """Which recent papers pass which of the channel's interests (its threshold), on the
        day's shared index: what its trends picture counts."""
        assert channel.id is not None
        interests = self._repository.list_interests(channel.id)
        recent = self.recent(since)
        if not interests or not recent:
            return []
        return match_index(
            self._ranker,
            self._corpus(recent),
            interests,
            min_score=channel.min_score,
            seeds=self._seeds(interests),
        )

    def _sent_to_channels_on(self, personal: Channel, day: date) -> set[str]:
        """Papers the channels of a person's workspace were sent on ``day`` (their time), and
        those the channels still due that day would pick: a personal digest that goes out
        first must not take the papers a channel digest will post later the same day."""
        others = [
            c
            for c in self._repository.list_channels(personal.platform)
            if c.workspace_id == personal.workspace_id and not c.is_personal and c.id is not None
        ]
        midnight = datetime.combine(day, datetime.min.time(), ZoneInfo(personal.schedule.timezone))
        sent = self._repository.delivered_since([c.id for c in others if c.id], midnight)
        now = self._clock.now()
        for other in others:
            assert other.id is not None
            if other.paused or not self._interests_of(other.id):
                continue
            last = self._repository.last_run(other.id)
            due_today = is_due(other.schedule, last, now) or (
                next_run(other.schedule, now).astimezone(ZoneInfo(other.schedule.timezone)).date()
                == self.local_day(other)
            )
            if due_today:
                sent |= {item.paper.key for item in self.compose(other, preview=True).items}
        return sent

    def _interests_of(self, channel_id: int) -> bool:
        return bool(self._repository.list_interests(channel_id))

    def try_interest(self, channel: Channel, interest: Interest) -> InterestTrial:
        """``interest`` on its own (without the channel's votes) over the recent papers."""
        recent = self.recent()
        days = max(1, round(self._window / timedelta(days=1)))
        if not recent:
            return InterestTrial(scanned=0, days=days, picked=())
        # The interest alone: no votes (they are not read), the channel's boosts.
        profile = ChannelProfile(
            interests=(interest,), seeds=self._seeds((interest,)), priors=_priors(channel)
        )
        index = self._corpus(recent)
        ranked = self._ranker.score_index(
            index,
            profile,
            today=self.local_day(channel),
            limit=max(4 * channel.digest_size, 20),
        )
        picked = select(ranked, top=channel.digest_size, min_score=channel.min_score)
        unmet = () if picked else _unmet_filters(index, interest)
        return InterestTrial(scanned=len(recent), days=days, picked=tuple(picked), unmet=unmet)

    def compose(
        self,
        channel: Channel,
        *,
        failed_sources: Sequence[str] = (),
        note: str | None = None,
        preview: bool = False,
        since: datetime | None = None,
    ) -> Digest:
        assert channel.id is not None
        recent = self.recent(since)
        delivered = self._repository.delivered_keys(channel.id)
        day = self.local_day(channel)
        if channel.is_personal and channel.dedupe:
            delivered |= self._sent_to_channels_on(channel, day)
        papers = [p for p in recent if p.key not in delivered]
        # Only the best few need scoring in full (explanations): enough for the selection to
        # see four times the digest, after skipping papers the channel already had.
        limit = max(4 * channel.digest_size, 20) + 5 + (len(recent) - len(papers))
        profile = self.profile(channel)
        ranked = self._ranker.score_index(
            self._corpus(recent),
            profile,
            today=day,
            limit=limit,
            # Each interest's own best too (past what the channel already had), so a digest
            # can share its places among the interests.
            keep_per_interest=channel.digest_size + (len(recent) - len(papers)),
        )
        scored = [item for item in ranked if item.paper.key not in delivered]
        shares = {interest_key(i): i.weight for i in profile.interests}
        picked = select(scored, top=channel.digest_size, min_score=channel.min_score, shares=shares)
        if self._tldr_for is not None:  # the same summaries as /papers summary, cached
            picked = [dataclasses.replace(i, tldr=self._tldr_for(i.paper)) for i in picked]
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
