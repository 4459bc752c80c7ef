"""The delivery log: what the outbox records while sending, as the panel shows it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.web_app.views import delivery_log, message_url
from digest.clock import FixedClock
from digest.compose import Digest
from digest.models import Channel, DigestItem, Paper, Platform
from digest.outbox import Outbox, Outcome
from digest.ports import SentMessage
from digest.ratelimits import note_rate_limited
from storage.memory import MemoryRepository

NOW = datetime(2026, 6, 12, 7, 0, tzinfo=UTC)
PAPER = Paper(id="2406.00001", arxiv_id="2406.00001", title="Diffusion Policy")


class FlakyPublisher:
    """Fails the first time; waits out a 429, then posts, the second."""

    def __init__(self) -> None:
        self.calls = 0

    async def publish(self, digest: Digest, delivery_tag: str) -> list[SentMessage]:
        self.calls += 1
        if self.calls == 1:
            raise ConnectionError("connection reset")
        note_rate_limited(1.5, "Slack 429 on chat.postMessage")
        return [SentMessage("1718000000.000100", tuple(i.paper.key for i in digest.items))]

    async def find_sent(self, digest: Digest, delivery_tag: str) -> dict[str, str]:
        return {}


async def test_failures_retries_and_429s_are_logged_per_run() -> None:
    repo = MemoryRepository()
    clock = FixedClock(NOW)
    repo.upsert_papers([PAPER], NOW)
    channel = repo.ensure_channel(Platform.SLACK, "T1", "C1", name="papers")
    outbox = Outbox(repo, clock, owner="me")
    digest = Digest(
        channel=channel,
        day=NOW.date(),
        items=(DigestItem(paper=repo.get_paper("2406.00001") or PAPER, score=0.9, why="matches"),),
        scanned=10,
    )
    publisher = FlakyPublisher()
    first = await outbox.deliver(digest, publisher)
    assert first.outcome is Outcome.RETRY
    clock.advance(timedelta(minutes=5))
    assert await outbox.drain({Platform.SLACK: publisher}, limit=5) == 1
    [entry] = delivery_log(repo, channel)
    assert entry.run.status == "sent" and entry.run.attempts == 2
    assert [e.kind for e in entry.events] == ["retry", "rate_limited", "sent"]
    assert entry.events[0].detail == "ConnectionError"
    assert entry.retries == 1 and entry.rate_limited == 1 and entry.waited == 1.5
    assert entry.sent_at == NOW + timedelta(minutes=5)
    [paper] = entry.papers
    assert paper.status == "sent" and paper.title == "Diffusion Policy"
    assert paper.message_url == "https://slack.com/archives/C1/p1718000000000100"


def test_message_links_per_platform() -> None:
    discord = Channel(platform=Platform.DISCORD, workspace_id="42", channel_id="7")
    assert message_url(discord, "99") == "https://discord.com/channels/42/7/99"
    console = Channel(platform=Platform.CONSOLE, workspace_id="local", channel_id="c")
    assert message_url(console, "console-1") is None and message_url(discord, None) is None
