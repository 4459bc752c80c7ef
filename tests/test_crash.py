"""Exactly once through crashes: `paperboy run` is killed (SIGKILL) at random moments of a
fan-out to the fake Slack, restarted, killed again; in the end every channel has its digest
exactly once: no paper twice, none lost. Asserted from the fake's record."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import random
import signal
import socket
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from bot.app import build_app
from bot.settings import Settings
from digest.models import WEEKDAYS, Interest, InterestKind, Platform, Schedule
from digest.sources.feed import FileSource
from storage.engine import create_db_engine
from storage.sql import SqlRepository
from tests.fakes.slack import fake_slack
from tests.slack.conftest import SECRET

SAMPLE = Path(__file__).resolve().parents[1] / "bot" / "data" / "sample_listing.txt"
TOPICS = [
    "reinforcement learning",
    "diffusion policy",
    "mixture of experts",
    "world models",
    "language model serving",
    "bandits regret",
    "attention kernels",
    "reward models",
]
CHANNELS = 24


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _prepare(database: str) -> None:
    settings = Settings(_env_file=None, database_url=database, embedder="none", full_text=False)
    async with build_app(settings) as app:
        await app.ingest.ingest([FileSource(SAMPLE)], app.clock.now().date())
        for n in range(CHANNELS):
            channel = app.repository.ensure_channel(Platform.SLACK, "T1", f"C{n:03d}")
            app.repository.save_channel(
                dataclasses.replace(
                    channel,
                    schedule=Schedule(time="00:00", days=WEEKDAYS, timezone="UTC"),
                    min_score=0.05,
                )
            )
            assert channel.id is not None
            for topic in (TOPICS[n % len(TOPICS)], TOPICS[(n * 3 + 1) % len(TOPICS)]):
                app.repository.add_interest(
                    channel.id, Interest(kind=InterestKind.QUERY, text=topic)
                )


def _env(database: str, api_url: str, port: int, replica: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERBOY_")}
    env.update(
        {
            "PAPERBOY_REPLICA_ID": replica,
            "PAPERBOY_DATABASE_URL": database,
            "PAPERBOY_SLACK_BOT_TOKEN": "xoxb-crash",
            "PAPERBOY_SLACK_SIGNING_SECRET": SECRET,
            "PAPERBOY_SLACK_API_URL": api_url,
            "PAPERBOY_EMBEDDER": "none",
            "PAPERBOY_SOURCES": "feeds",
            "PAPERBOY_FULL_TEXT": "false",
            "PAPERBOY_HTTP_PORT": str(port),
            "PAPERBOY_LOG_LEVEL": "WARNING",
            "PAPERBOY_FANOUT_CONCURRENCY": "2",
        }
    )
    return env


async def start_run(
    database: str,
    api_url: str,
    cwd: Path,
    *,
    replica: str = "crash-test",
) -> asyncio.subprocess.Process:
    """`paperboy run` as its own process, Slack pointed at the fake.

    The same ``replica`` name across restarts is how a restarted process knows that what
    it held before is its own to finish at once (as a container keeps its host name)."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=cwd,
        env=_env(database, api_url, _free_port(), replica),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


def assert_exactly_once(database: str, history: dict[str, list[dict[str, Any]]]) -> None:
    """Every channel shows each of its papers exactly once, and nothing it was not sent."""
    engine = create_db_engine(database)
    try:
        repository = SqlRepository(engine)
        channels = repository.list_channels()
        assert len(channels) == CHANNELS
        for channel in channels:
            assert channel.id is not None
            posted = Counter(
                key
                for message in history.get(channel.channel_id, [])
                for key in (message.get("metadata") or {})
                .get("event_payload", {})
                .get("papers", [])
            )
            assert posted and all(n == 1 for n in posted.values()), (channel.channel_id, posted)
            delivered = {d.paper_key for d in repository.list_deliveries(channel.id)}
            assert set(posted) == delivered, channel.channel_id  # nothing lost, nothing extra
    finally:
        engine.dispose()


def _all_sent(database: str) -> bool:
    engine = create_db_engine(database)
    try:
        repository = SqlRepository(engine)
        for channel in repository.list_channels():
            assert channel.id is not None
            last = repository.last_run(channel.id)
            pending = [d for d in repository.list_deliveries(channel.id) if d.status != "sent"]
            if last is None or last.status != "sent" or pending:
                return False
        return True
    finally:
        engine.dispose()


async def test_sigkill_at_random_points_never_duplicates_or_loses(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'crash.db'}"
    await _prepare(database)
    rng = random.Random(20261122)
    killed_mid_fan_out = 0
    async with fake_slack() as fake:
        fake.post_delay = 0.5  # 24 channels, 2 at a time: a fan-out takes ~6 s
        for _ in range(20):
            before = sum(len(v) for v in fake.history.values())
            process = await start_run(database, fake.api_url, tmp_path)
            # Kill at a random moment after this process's fan-out has begun (however long
            # start-up takes on a loaded machine), so kills land inside it.
            for _ in range(600):
                if sum(len(v) for v in fake.history.values()) > before or _all_sent(database):
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(rng.uniform(0.0, 1.5))
            process.send_signal(signal.SIGKILL)
            await process.wait()
            after = sum(len(v) for v in fake.history.values())
            done = _all_sent(database)
            if before < after and not done:
                killed_mid_fan_out += 1
            if done:
                break
        # The last start runs to completion.
        process = await start_run(database, fake.api_url, tmp_path)
        try:
            for _ in range(600):
                if _all_sent(database):
                    break
                await asyncio.sleep(0.1)
        finally:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)
        assert _all_sent(database)
        history = dict(fake.history)
    assert_exactly_once(database, history)
    assert sum(len(v) for v in history.values()) >= CHANNELS
    print(f"kills inside a fan-out: {killed_mid_fan_out}")
    assert killed_mid_fan_out >= 3, "too few kills landed inside a fan-out to trust the result"
