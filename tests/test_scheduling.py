"""The scheduler's jobs: a due channel gets its digest once; paused channels get nothing."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import build_app
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
    settings = Settings(database_url=f"sqlite:///{tmp_path / 's.db'}", _env_file=None)
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
        assert publisher.sent == []  # 08:00 is before the 09:00 schedule
        clock.advance(timedelta(hours=2, minutes=30))  # missed 09:00: the bot was down
        await scheduler.catch_up()
        await scheduler.catch_up()
        assert [d.channel.channel_id for d in publisher.sent] == ["active"]
        assert publisher.sent[0].items[0].paper.title.startswith("World Models")
        clock.advance(timedelta(days=1))  # Saturday: not a schedule day
        await scheduler.catch_up()
        assert len(publisher.sent) == 1
