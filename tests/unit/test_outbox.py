"""The outbox: record first, claim, send once; reconcile after a crash instead of guessing."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from digest.clock import FixedClock
from digest.compose import Digest
from digest.errors import DeliveryRefused
from digest.models import Channel, Interest, InterestKind, Paper, Platform
from digest.outbox import MAX_ATTEMPTS, Outbox, Outcome, SendResult
from digest.ports import QUIET_DIGEST_ARRIVED, SentMessage
from digest.service import DigestService
from storage.memory import MemoryRepository

LEASE = timedelta(seconds=30)


def paper(arxiv_id: str, title: str) -> Paper:
    return Paper(
        id=arxiv_id,
        arxiv_id=arxiv_id,
        title=title,
        abstract=f"We study {title.lower()}.",
        sources=("test",),
    )


class PlatformRecord:
    """What a platform shows: every message posted, with its tag (like Slack metadata)."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, Digest]] = []

    def papers(self, tag: str | None = None) -> list[str]:
        return [item.paper.key for t, d in self.messages if tag in (None, t) for item in d.items]


class Publisher:
    """A working platform client; ``crash_after_post`` posts and then loses the answer."""

    def __init__(
        self, record: PlatformRecord, *, crash_after_post: bool = False, per_paper: bool = False
    ) -> None:
        self.record = record
        self.crash_after_post = crash_after_post
        self.per_paper = per_paper
        self.fail = False
        self.published: list[Digest] = []

    async def publish(self, digest: Digest, delivery_tag: str) -> list[SentMessage]:
        if self.fail:
            raise ConnectionError("platform down")
        self.record.messages.append((delivery_tag, digest))
        self.published.append(digest)
        if self.crash_after_post:
            raise ConnectionResetError("the answer never came")
        n = len(self.record.messages)
        keys = [i.paper.key for i in digest.items]
        if self.per_paper:  # one message per paper, as the single layout posts them
            return [SentMessage(f"m{n}-{k}", (k,)) for k in keys]
        return [SentMessage(f"m{n}", tuple(keys))]

    async def find_sent(self, digest: Digest, delivery_tag: str) -> dict[str, str]:
        found = {key: f"found-{key}" for key in self.record.papers(delivery_tag)}
        if digest.is_empty and any(tag == delivery_tag for tag, _ in self.record.messages):
            found[QUIET_DIGEST_ARRIVED] = "found-quiet"
        return found


class Refusing(Publisher):
    async def publish(self, digest: Digest, delivery_tag: str) -> list[SentMessage]:
        raise DeliveryRefused("Slack: not_in_channel")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 6, 12, 7, 0, tzinfo=UTC))


@pytest.fixture
def repo(clock: FixedClock) -> MemoryRepository:
    repo = MemoryRepository()
    repo.upsert_papers(
        [
            paper("2401.00001", "Diffusion policy"),
            paper("2401.00002", "Diffusion policy for drones"),
            paper("2401.00003", "Protein folding"),
        ],
        clock.now(),
    )
    return repo


def channel(
    repo: MemoryRepository, name: str = "c", platform: Platform = Platform.SLACK
) -> Channel:
    created = repo.ensure_channel(platform, "w", name)
    assert created.id is not None
    repo.add_interest(created.id, Interest(kind=InterestKind.QUERY, text="diffusion policy"))
    return created


def compose(repo: MemoryRepository, clock: FixedClock, target: Channel) -> Digest:
    return DigestService(repo, clock).compose(target)


async def test_deliver_records_sends_and_settles(repo: MemoryRepository, clock: FixedClock) -> None:
    target = channel(repo)
    assert target.id is not None
    record = PlatformRecord()
    results: list[SendResult] = []
    outbox = Outbox(repo, clock, owner="a", lease=LEASE, on_result=results.append)
    result = await outbox.deliver(compose(repo, clock, target), Publisher(record))
    assert result.outcome is Outcome.SENT and result.sent == 2
    assert results == [result]
    assert sorted(record.papers()) == ["2401.00001", "2401.00002"]
    run = repo.last_run(target.id)
    assert run is not None and (run.status, run.picked, run.claimed_by) == ("sent", 2, None)
    statuses = {(d.status, d.message_id) for d in repo.list_deliveries(target.id)}
    assert statuses == {("sent", "m1")}
    assert compose(repo, clock, target).items == ()  # never again


async def test_each_paper_is_recorded_with_the_message_that_shows_it(
    repo: MemoryRepository, clock: FixedClock
) -> None:
    target = channel(repo)
    outbox = Outbox(repo, clock, owner="a", lease=LEASE)
    result = await outbox.deliver(
        compose(repo, clock, target), Publisher(PlatformRecord(), per_paper=True)
    )
    assert result.outcome is Outcome.SENT
    for key in ("2401.00001", "2401.00002"):
        found = repo.find_message(Platform.SLACK, "w", f"m1-{key}", channel_id="c")
        assert found is not None and found.paper_keys == (key,)
        assert found.channel.id == target.id


async def test_a_crash_after_posting_is_reconciled_not_resent(
    repo: MemoryRepository, clock: FixedClock
) -> None:
    target = channel(repo)
    assert target.id is not None
    record = PlatformRecord()
    outbox = Outbox(repo, clock, owner="a", lease=LEASE)
    crashing = Publisher(record, crash_after_post=True)
    result = await outbox.deliver(compose(repo, clock, target), crashing)
    assert result.outcome is Outcome.RETRY
    assert {d.status for d in repo.list_deliveries(target.id)} == {"pending"}
    assert compose(repo, clock, target).items == ()  # pending papers are not composed again
    # Not retried at once (back-off), then another sender takes it and asks the platform.
    other = Outbox(repo, clock, owner="b", lease=LEASE)
    working = Publisher(record)
    assert await other.drain({Platform.SLACK: working}, limit=4) == 0
    clock.advance(timedelta(minutes=10))
    assert await other.drain({Platform.SLACK: working}, limit=4) == 1
    assert working.published == []  # it had arrived: nothing sent twice
    assert len(record.messages) == 1
    # Each paper keeps the message the platform shows it in (a reaction there is a vote).
    deliveries = repo.list_deliveries(target.id)
    assert {(d.status, d.message_id) for d in deliveries} == {
        ("sent", f"found-{d.paper_key}") for d in deliveries
    }
    last = repo.last_run(target.id)
    assert last is not None and last.status == "sent"


async def test_what_never_arrived_is_sent_with_the_runs_own_reasons(
    repo: MemoryRepository, clock: FixedClock
) -> None:
    target = channel(repo)
    record = PlatformRecord()
    down = Publisher(record)
    down.fail = True
    outbox = Outbox(repo, clock, owner="a", lease=LEASE)
    digest = compose(repo, clock, target)
    assert (await outbox.deliver(digest, down)).outcome is Outcome.RETRY
    clock.advance(timedelta(minutes=10))
    assert await outbox.drain({Platform.SLACK: Publisher(record)}, limit=4) == 1
    ((tag, sent),) = record.messages
    assert tag.startswith("run-")
    assert [(i.paper.key, i.why) for i in sent.items] == [
        (i.paper.key, i.why) for i in digest.items
    ]


async def test_a_dead_senders_runs_wait_for_its_lease_then_move(
    repo: MemoryRepository, clock: FixedClock
) -> None:
    target = channel(repo)
    record = PlatformRecord()
    dead = Outbox(repo, clock, owner="a", lease=LEASE)
    digest = compose(repo, clock, target)
    run = dead.enqueue(digest)
    assert repo.claim_runs("a", now=clock.now(), lease=LEASE, limit=1)  # then it died
    record.messages.append(  # ... having posted the first message (paper) of the digest
        (f"run-{run.id}", dataclasses.replace(digest, items=digest.items[:1]))
    )
    other = Outbox(repo, clock, owner="b", lease=LEASE)
    publisher = Publisher(record)
    assert await other.drain({Platform.SLACK: publisher}, limit=4) == 0  # lease still held
    clock.advance(LEASE + timedelta(seconds=1))
    assert await other.drain({Platform.SLACK: publisher}, limit=4) == 1
    assert [i.paper.key for d in publisher.published for i in d.items] == [
        i.paper_key for i in run.items[1:]
    ]
    assert sorted(record.papers()) == sorted(i.paper_key for i in run.items)


async def test_a_restarted_sender_takes_back_its_own_runs_at_once(
    repo: MemoryRepository, clock: FixedClock
) -> None:
    target = channel(repo)
    record = PlatformRecord()
    before = Outbox(repo, clock, owner="host-1", lease=LEASE)
    before.enqueue(compose(repo, clock, target), claim=True)  # killed before sending
    after = Outbox(repo, clock, owner="host-1", lease=LEASE)
    assert after.release_own_claims() == 1
    assert await after.drain({Platform.SLACK: Publisher(record)}, limit=4) == 1
    assert len(record.messages) == 1


async def test_a_refused_channel_is_paused_and_keeps_its_papers(
    repo: MemoryRepository, clock: FixedClock
) -> None:
    target = channel(repo)
    assert target.id is not None
    outbox = Outbox(repo, clock, owner="a", lease=LEASE)
    result = await outbox.deliver(compose(repo, clock, target), Refusing(PlatformRecord()))
    assert result.outcome is Outcome.REFUSED and result.reason == "Slack: not_in_channel"
    stored = repo.get_channel(target.id)
    assert stored is not None and stored.paused
    assert stored.paused_reason == "Slack: not_in_channel"
    last = repo.last_run(target.id)
    assert last is not None and last.status == "failed"
    assert compose(repo, clock, stored).items  # nothing was sent: resuming delivers them


async def drain_hourly(
    repo: MemoryRepository, clock: FixedClock, publisher: Publisher, *, times: int
) -> list[Outcome]:
    """A sender draining once an hour (past every back-off): the outcomes it reported."""
    outcomes: list[Outcome] = []
    for _ in range(times):
        results: list[SendResult] = []
        retrying = Outbox(repo, clock, owner="a", lease=LEASE, on_result=results.append)
        await retrying.drain({Platform.SLACK: publisher}, limit=1)
        outcomes += [r.outcome for r in results]
        clock.advance(timedelta(hours=1))
    return outcomes


async def test_a_run_that_keeps_failing_is_given_up(
    repo: MemoryRepository, clock: FixedClock
) -> None:
    target = channel(repo)
    assert target.id is not None
    down = Publisher(PlatformRecord())
    down.fail = True
    outbox = Outbox(repo, clock, owner="a", lease=LEASE)
    outbox.enqueue(compose(repo, clock, target))
    outcomes = await drain_hourly(repo, clock, down, times=MAX_ATTEMPTS + 2)
    assert outcomes == [Outcome.RETRY] * (MAX_ATTEMPTS - 1) + [Outcome.GAVE_UP]
    assert {d.status for d in repo.list_deliveries(target.id)} == {"failed"}


async def test_what_arrived_before_giving_up_stays_sent(
    repo: MemoryRepository, clock: FixedClock
) -> None:
    """The first attempt posts and loses the answer; asking the platform what arrived fails
    on every retry. When the run is given up, one last question finds the papers there: they
    stay sent, so no later digest repeats them."""
    target = channel(repo)
    assert target.id is not None
    asked = 0

    class Unreachable(Publisher):
        async def find_sent(self, digest: Digest, delivery_tag: str) -> dict[str, str]:
            nonlocal asked
            asked += 1
            if asked < MAX_ATTEMPTS:  # the reconciling question of attempts 2..8
                raise ConnectionError("platform down")
            return await super().find_sent(digest, delivery_tag)

    publisher = Unreachable(PlatformRecord(), crash_after_post=True)
    Outbox(repo, clock, owner="a", lease=LEASE).enqueue(compose(repo, clock, target))
    outcomes = await drain_hourly(repo, clock, publisher, times=MAX_ATTEMPTS)
    assert outcomes == [Outcome.RETRY] * (MAX_ATTEMPTS - 1) + [Outcome.GAVE_UP]
    assert len(publisher.published) == 1  # posted once, never again
    statuses = {d.paper_key: d.status for d in repo.list_deliveries(target.id)}
    assert statuses == {"2401.00001": "sent", "2401.00002": "sent"}
    assert compose(repo, clock, target).items == ()  # nothing of it is offered again


async def test_drain_sends_channels_in_parallel_within_its_bound(
    repo: MemoryRepository, clock: FixedClock
) -> None:
    outbox = Outbox(repo, clock, owner="a", lease=LEASE)
    for n in range(10):
        outbox.enqueue(compose(repo, clock, channel(repo, f"c{n}")))
    in_flight = peak = 0

    class Slow(Publisher):
        async def publish(self, digest: Digest, delivery_tag: str) -> list[SentMessage]:
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            await asyncio.sleep(0.01)
            in_flight -= 1
            return await super().publish(digest, delivery_tag)

    record = PlatformRecord()
    assert await outbox.drain({Platform.SLACK: Slow(record)}, limit=3) == 10
    assert peak == 3
    assert len(record.messages) == 10


async def test_runs_for_a_platform_this_replica_does_not_serve_are_left_queued(
    repo: MemoryRepository, clock: FixedClock
) -> None:
    target = channel(repo, platform=Platform.DISCORD)
    outbox = Outbox(repo, clock, owner="slack-only", lease=LEASE)
    run = outbox.enqueue(compose(repo, clock, target))
    record = PlatformRecord()
    assert await outbox.drain({Platform.SLACK: Publisher(record)}, limit=4) == 1
    assert record.messages == []
    stored = repo.get_run(run.id)  # type: ignore[arg-type]
    assert stored is not None and stored.status == "queued" and stored.claimed_by is None
    clock.advance(LEASE + timedelta(seconds=1))
    discord = Outbox(repo, clock, owner="discord", lease=LEASE)
    assert await discord.drain({Platform.DISCORD: Publisher(record)}, limit=4) == 1
    assert len(record.messages) == 1


async def test_a_channel_paused_after_composing_gets_nothing_and_keeps_its_papers(
    repo: MemoryRepository, clock: FixedClock
) -> None:
    target = channel(repo)
    assert target.id is not None
    outbox = Outbox(repo, clock, owner="a", lease=LEASE)
    outbox.enqueue(compose(repo, clock, target))
    repo.save_channel(dataclasses.replace(target, paused=True, paused_reason="by a user"))
    record = PlatformRecord()
    assert await outbox.drain({Platform.SLACK: Publisher(record)}, limit=4) == 1
    assert record.messages == []
    resumed = repo.save_channel(dataclasses.replace(target, paused=False))
    assert len(compose(repo, clock, resumed).items) == 2


async def test_a_run_whose_papers_went_with_another_run_posts_nothing(
    repo: MemoryRepository, clock: FixedClock
) -> None:
    target = channel(repo)
    outbox = Outbox(repo, clock, owner="a", lease=LEASE)
    digest = compose(repo, clock, target)
    first = outbox.enqueue(digest)
    second = outbox.enqueue(digest)  # composed twice at once: the first run owns the papers
    record = PlatformRecord()
    assert await outbox.drain({Platform.SLACK: Publisher(record)}, limit=4) == 2
    assert [tag for tag, _ in record.messages] == [f"run-{first.id}"]
    stored = repo.get_run(second.id)  # type: ignore[arg-type]
    assert stored is not None and (stored.status, stored.picked) == ("sent", 0)


async def test_a_quiet_days_message_that_arrived_before_a_crash_is_not_repeated(
    repo: MemoryRepository, clock: FixedClock
) -> None:
    target = channel(repo)
    quiet = dataclasses.replace(compose(repo, clock, target), items=())  # nothing matched
    record = PlatformRecord()
    outbox = Outbox(repo, clock, owner="a", lease=LEASE)
    crashing = Publisher(record, crash_after_post=True)
    assert (await outbox.deliver(quiet, crashing)).outcome is Outcome.RETRY
    clock.advance(timedelta(minutes=10))
    working = Publisher(record)
    assert await outbox.drain({Platform.SLACK: working}, limit=4) == 1
    assert working.published == [] and len(record.messages) == 1
