"""The scheduler's jobs: a due channel gets its digest once; paused channels get nothing."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from bot.app import build_app
from bot.handlers import CommandContext
from bot.scheduling import DigestScheduler
from bot.settings import Settings
from digest.clock import FixedClock
from digest.compose import Digest
from digest.models import Interest, InterestKind, Platform
from digest.ports import SentMessage
from digest.sources.feed import FileSource

SAMPLE = Path(__file__).resolve().parents[1] / "bot" / "data" / "sample_listing.txt"


class Publisher:
    def __init__(self) -> None:
        self.sent: list[Digest] = []

    async def publish(self, digest: Digest, delivery_tag: str) -> list[SentMessage]:
        self.sent.append(digest)
        return [SentMessage(f"m{len(self.sent)}", tuple(i.paper.key for i in digest.items))]


async def test_due_channels_get_one_digest_and_paused_ones_none(tmp_path: Path) -> None:
    # No live sources: the digest before a run ingests afresh, and tests stay offline.
    settings = Settings(database_url=f"sqlite:///{tmp_path / 's.db'}", sources=[], _env_file=None)
    clock = FixedClock(datetime(2026, 6, 12, 8, 0, tzinfo=UTC))  # Friday 08:00 UTC
    publisher = Publisher()
    async with build_app(settings, clock=clock) as app:
        await app.ingest.ingest([FileSource(SAMPLE)], clock.now().date())
        repo = app.repository
        active = repo.ensure_channel(Platform.CONSOLE, "w", "active")
        paused = repo.save_channel(
            dataclasses.replace(repo.ensure_channel(Platform.CONSOLE, "w", "paused"), paused=True)
        )
        for channel in (active, paused):
            assert channel.id is not None
            repo.add_interest(channel.id, Interest(kind=InterestKind.QUERY, text="world model"))
        scheduler = DigestScheduler(app, {Platform.CONSOLE: publisher})
        await scheduler.catch_up()
        assert publisher.sent == [] and not scheduler.leading  # not elected yet: does nothing
        await scheduler.elect()  # SQLite: the only process leads, and catches up at once
        await scheduler.settle()
        assert publisher.sent == []  # 08:00 is before the 09:00 schedule
        clock.advance(timedelta(hours=2, minutes=30))  # missed 09:00: the bot was down
        await scheduler.catch_up()
        await scheduler.catch_up()
        assert [d.channel.channel_id for d in publisher.sent] == ["active"]
        assert publisher.sent[0].items[0].paper.title.startswith("World Models")
        clock.advance(timedelta(days=1))  # Saturday: not a schedule day
        await scheduler.catch_up()
        assert len(publisher.sent) == 1


class HeldPublisher(Publisher):
    """Holds every digest until released, like a platform that is slow to answer."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived = asyncio.Event()
        self.release = asyncio.Event()

    async def publish(self, digest: Digest, delivery_tag: str) -> list[SentMessage]:
        self.arrived.set()
        await self.release.wait()
        return await super().publish(digest, delivery_tag)


async def test_a_new_leader_catches_up_beside_the_election_not_inside_it(tmp_path: Path) -> None:
    """Leadership is re-checked every few seconds: the check must not wait for composing and
    sending a whole day's digests."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 's.db'}", embedder="none", sources=[], _env_file=None
    )
    clock = FixedClock(datetime(2026, 6, 12, 10, 0, tzinfo=UTC))  # after the 09:00 schedule
    publisher = HeldPublisher()
    async with build_app(settings, clock=clock) as app:
        await app.ingest.ingest([FileSource(SAMPLE)], clock.now().date())
        channel = app.repository.ensure_channel(Platform.CONSOLE, "w", "due")
        assert channel.id is not None
        app.repository.add_interest(
            channel.id, Interest(kind=InterestKind.QUERY, text="world model")
        )
        scheduler = DigestScheduler(app, {Platform.CONSOLE: publisher})
        # With the catch-up inside the election this would wait for the release forever.
        await asyncio.wait_for(scheduler.elect(), timeout=30)
        assert scheduler.leading and publisher.sent == []
        await asyncio.wait_for(publisher.arrived.wait(), timeout=30)  # the catch-up is sending
        await scheduler.elect()  # still the leader; no second catch-up starts
        publisher.release.set()
        await scheduler.settle()
        assert [d.channel.channel_id for d in publisher.sent] == ["due"]


async def test_a_failed_catch_up_after_an_election_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 's.db'}", embedder="none", sources=[], _env_file=None
    )
    async with build_app(settings, clock=FixedClock(datetime(2026, 6, 12, 10, tzinfo=UTC))) as app:
        scheduler = DigestScheduler(app, {Platform.CONSOLE: Publisher()})
        with app.engine.begin() as connection:  # the database loses a table under us
            connection.execute(text("DROP TABLE interests"))
            connection.execute(text("DROP TABLE channels"))
        with caplog.at_level(logging.ERROR, logger="bot.scheduling"):
            await scheduler.elect()
            with pytest.raises(OperationalError):
                await scheduler.settle()
        assert scheduler.leading  # the election itself went through
        assert "catching up after the election failed" in caplog.text


async def test_a_schedule_changed_anywhere_reaches_the_leader_at_its_next_tick(
    tmp_path: Path,
) -> None:
    """Not at the next five-minute catch-up: 09:00 set at 08:58 must fire at 09:00."""
    database = f"sqlite:///{tmp_path / 's.db'}"
    settings = Settings(database_url=database, embedder="none", sources=[], _env_file=None)
    # A Friday well ahead of the real date: the started scheduler's own interval jobs are then
    # not due during the test (a clock in the past would have it replay years of ticks).
    clock = FixedClock(datetime(2036, 6, 13, 8, 58, 30, tzinfo=UTC))
    async with (
        build_app(settings, clock=clock) as leader_app,
        build_app(settings, clock=clock) as other_app,
    ):
        channel = leader_app.repository.ensure_channel(Platform.CONSOLE, "w", "c")
        assert channel.id is not None
        scheduler = DigestScheduler(leader_app, {Platform.CONSOLE: Publisher()})
        scheduler.start()  # the real APScheduler: jobs are replaced as in production
        await scheduler.elect()
        await scheduler.settle()
        # The default schedule: 09:00 on weekdays.
        assert scheduler.next_digest_at(channel.id, clock.now()) == datetime(
            2036, 6, 13, 9, 0, tzinfo=UTC
        )
        # Another process (a replica, or the chat side of this one) changes the schedule.
        context = CommandContext(
            platform=Platform.CONSOLE, workspace_id="w", channel_id="c", user_id="u"
        )
        reply = await other_app.handlers.handle("schedule 08:59 UTC daily", context)
        assert not reply.error, reply.text
        await scheduler.elect()  # one election tick (5 s in production)
        assert scheduler.next_digest_at(channel.id, clock.now()) == datetime(
            2036, 6, 13, 8, 59, tzinfo=UTC
        )
        # Ticks without a change leave the job as it is (a firing due now is never dropped).
        job = scheduler.next_digest_at(channel.id, clock.now())
        await scheduler.elect()
        assert scheduler.next_digest_at(channel.id, clock.now()) == job
        scheduler.shutdown()
