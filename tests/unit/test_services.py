"""Ingest and digest services against the in-memory repository and fake sources."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest

from digest.clock import FixedClock
from digest.compose import Digest
from digest.errors import SourceError
from digest.models import Interest, InterestKind, Paper, Platform
from digest.outbox import Outbox
from digest.ports import FetchResult, Repository, SentMessage
from digest.service import DigestService, IngestService
from storage.memory import MemoryRepository


class StaticSource:
    def __init__(self, name: str, result: FetchResult | None = None, error: str | None = None):
        self.name = name
        self._result = result
        self._error = error

    async def fetch(self, day: date) -> FetchResult:
        if self._error:
            raise SourceError(self.name, self._error)
        assert self._result is not None
        return self._result


class RecordingPublisher:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[Digest] = []
        self.fail = fail

    async def publish(self, digest: Digest, delivery_tag: str) -> list[SentMessage]:
        if self.fail:
            raise RuntimeError("platform down")
        self.sent.append(digest)
        return [SentMessage(f"msg-{len(self.sent)}", tuple(i.paper.key for i in digest.items))]


def paper(arxiv_id: str, title: str, abstract: str = "", **extra: object) -> Paper:
    return Paper(
        id=arxiv_id,
        arxiv_id=arxiv_id,
        title=title,
        abstract=abstract or f"We study {title.lower()}.",
        sources=("test",),
        **extra,
    )  # type: ignore[arg-type]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 6, 12, 7, 0, tzinfo=UTC))


async def test_a_failing_source_is_recorded_and_the_others_still_land(clock: FixedClock) -> None:
    repo = MemoryRepository()
    ingest = IngestService(repo, clock)
    good = StaticSource("good", FetchResult(source="good", papers=(paper("2401.00001", "A"),)))
    bad = StaticSource("bad", error="HTTP 503 from example.org")
    report = await ingest.ingest([bad, good], clock.now().date())
    assert report.failed == ("bad",)
    assert report.counts.new == 1
    assert repo.get_source_health("bad").last_error == "HTTP 503 from example.org"
    assert not repo.get_source_health("bad").healthy
    assert repo.get_source_health("good").last_success == clock.now()
    clock.advance(timedelta(hours=1))
    await ingest.ingest([StaticSource("bad", FetchResult(source="bad"))], clock.now().date())
    assert repo.get_source_health("bad").healthy


async def test_replacements_update_known_papers_only(clock: FixedClock) -> None:
    repo = MemoryRepository()
    ingest = IngestService(repo, clock)
    repo.upsert_papers([paper("2401.00001", "Known")], clock.now())
    result = FetchResult(
        source="arxiv-rss",
        updates=(paper("2401.00001", "Known", version=2), paper("2401.00002", "Never seen")),
    )
    counts = ingest.store(result)
    assert (counts.new, counts.updated) == (0, 1)
    assert repo.get_paper("2401.00002") is None
    stored = repo.get_paper("2401.00001")
    assert stored is not None and stored.version == 2


def _channel_with_interest(repo: Repository, text: str, size: int = 5) -> object:
    channel = repo.ensure_channel(Platform.CONSOLE, "w", "c")
    channel = repo.save_channel(dataclasses.replace(channel, digest_size=size))
    assert channel.id is not None
    repo.add_interest(channel.id, Interest(kind=InterestKind.QUERY, text=text))
    return channel


async def test_a_paper_reaches_a_channel_once_across_days_and_versions(clock: FixedClock) -> None:
    repo = MemoryRepository()
    repo.upsert_papers(
        [
            paper("2401.00001", "Diffusion policy for robots"),
            paper("2401.00002", "Protein folding"),
        ],
        clock.now(),
    )
    channel = _channel_with_interest(repo, "diffusion policy")
    service = DigestService(repo, clock)
    publisher = RecordingPublisher()
    first = service.compose(channel)  # type: ignore[arg-type]
    assert [i.paper.id for i in first.items] == ["2401.00001"]
    await Outbox(repo, clock, owner="test").deliver(first, publisher)  # type: ignore[arg-type]
    clock.advance(timedelta(days=1))
    repo.upsert_papers([paper("2401.00001", "Diffusion policy for robots", version=2)], clock.now())
    second = service.compose(channel)  # type: ignore[arg-type]
    assert second.items == ()
    assert second.scanned == 1  # the protein paper was scanned, and matched nothing


async def test_weak_days_are_not_padded(clock: FixedClock) -> None:
    repo = MemoryRepository()
    repo.upsert_papers(
        [paper(f"2401.0000{i}", f"Unrelated topic {i}") for i in range(5)], clock.now()
    )
    channel = _channel_with_interest(repo, "graph neural networks")
    digest = DigestService(repo, clock).compose(channel)  # type: ignore[arg-type]
    assert digest.is_empty and digest.scanned == 5


async def test_preview_lists_close_calls(clock: FixedClock) -> None:
    repo = MemoryRepository()
    repo.upsert_papers(
        [paper(f"2401.0000{i}", f"Diffusion policy variant {i}") for i in range(4)], clock.now()
    )
    channel = _channel_with_interest(repo, "diffusion policy", size=2)
    digest = DigestService(repo, clock).compose(channel, preview=True)  # type: ignore[arg-type]
    assert len(digest.items) == 2
    assert len(digest.left_out) == 2
    assert all(i.why for i in digest.left_out)


async def test_digest_tldrs_come_from_the_summary_service(clock: FixedClock) -> None:
    from digest.summarise.service import SummaryService

    repo = MemoryRepository()
    repo.upsert_papers(
        [
            paper(
                "2401.00001",
                "Diffusion policy",
                "Robots are hard. We propose a diffusion policy. It works.",
            )
        ],
        clock.now(),
    )
    channel = _channel_with_interest(repo, "diffusion policy")
    summaries = SummaryService(repo, clock)
    service = DigestService(repo, clock, tldr_for=summaries.quick_tldr)
    (item,) = service.compose(channel).items  # type: ignore[arg-type]
    assert item.tldr == "We propose a diffusion policy."
    assert repo.get_summary("2401.00001", "extractive") is not None  # cached for /papers summary
