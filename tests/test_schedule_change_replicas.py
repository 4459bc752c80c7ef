"""A schedule set while the bot runs fires on its minute, on every replica's watch.

Two `paperboy run` replicas (real processes) share a PostgreSQL database; a signed Slack
command to the replica that does NOT lead sets the channel's digest 30 s ahead. The leader
must pick the change up within seconds (not at its five-minute catch-up), so the digest
reaches the fake Slack within 10 s of the minute. Waits for a real minute: up to 90 s.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from bot.app import build_app
from bot.settings import Settings
from digest.models import WEEKDAYS, Interest, InterestKind, Platform, Schedule
from digest.sources.feed import FileSource
from tests.fakes.slack import fake_slack
from tests.slack.conftest import SECRET, sign
from tests.test_crash import SAMPLE, _free_port
from tests.test_replicas import _leader, replica_database

__all__ = ["replica_database"]  # the fixture, imported for pytest

ON_TIME = 10.0  # seconds after the minute


async def _prepare(database: str) -> None:
    """One channel whose digest is not due today (only tomorrow's weekday), papers to send."""
    settings = Settings(_env_file=None, database_url=database, embedder="none", full_text=False)
    async with build_app(settings) as app:
        await app.ingest.ingest([FileSource(SAMPLE)], app.clock.now().date())
        channel = app.repository.ensure_channel(Platform.SLACK, "T1", "C1")
        tomorrow = WEEKDAYS[(datetime.now(UTC).weekday() + 1) % 7]
        app.repository.save_channel(
            dataclasses.replace(
                channel,
                schedule=Schedule(time="12:00", days=(tomorrow,), timezone="UTC"),
                min_score=0.05,
            )
        )
        assert channel.id is not None
        app.repository.add_interest(
            channel.id, Interest(kind=InterestKind.QUERY, text="reinforcement learning")
        )


async def _start(
    database: str, api_url: str, cwd: Path, name: str, port: int
) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERBOY_")}
    env.update(
        {
            "PAPERBOY_REPLICA_ID": name,
            "PAPERBOY_DATABASE_URL": f"{database}&application_name={name}",
            "PAPERBOY_SLACK_BOT_TOKEN": "xoxb-replicas",
            "PAPERBOY_SLACK_SIGNING_SECRET": SECRET,
            "PAPERBOY_SLACK_API_URL": api_url,
            "PAPERBOY_EMBEDDER": "none",
            "PAPERBOY_SOURCES": "feeds",  # none configured: the papers are the prepared ones
            "PAPERBOY_FULL_TEXT": "false",
            "PAPERBOY_LOG_LEVEL": "WARNING",
        }
    )
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--slack-http",
        "--port",
        str(port),
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def _command(http: httpx.AsyncClient, port: int, text: str, response_url: str) -> None:
    form = {
        "team_id": "T1",
        "channel_id": "C1",
        "user_id": "U1",
        "command": "/papers",
        "text": text,
        "response_url": response_url,
        "trigger_id": "t",
        "api_app_id": "A1",
    }
    body = urlencode(form).encode()
    ts = int(time.time())
    response = await http.post(
        f"http://127.0.0.1:{port}/slack/events",
        content=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": sign(body, ts),
        },
    )
    assert response.status_code == 200, response.text


async def _until(check: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.1)


@pytest.mark.postgres
async def test_a_schedule_set_on_a_follower_fires_on_its_minute(
    tmp_path: Path, replica_database: tuple[str, str]
) -> None:
    database, _ = replica_database
    await _prepare(database)
    async with fake_slack() as fake, httpx.AsyncClient(timeout=10) as http:
        ports = {"replica-a": _free_port(), "replica-b": _free_port()}
        processes = {}
        try:
            processes["replica-a"] = await _start(
                database, fake.api_url, tmp_path, "replica-a", ports["replica-a"]
            )
            await _until(lambda: _leader(database) == "replica-a", 60, "replica-a never led")
            processes["replica-b"] = await _start(
                database, fake.api_url, tmp_path, "replica-b", ports["replica-b"]
            )

            async def follower_answers() -> bool:
                try:
                    await http.get(f"http://127.0.0.1:{ports['replica-b']}/healthz")
                except httpx.TransportError:
                    return False
                return True

            deadline = time.monotonic() + 60
            while not await follower_answers():
                assert time.monotonic() < deadline, "replica-b never answered"
                await asyncio.sleep(0.1)
            assert _leader(database) == "replica-a" and not fake.history

            # The next whole minute at least 30 s away, set through the follower.
            now = datetime.now(UTC)
            minute = (now + timedelta(seconds=30)).replace(second=0, microsecond=0)
            minute += timedelta(minutes=1)
            await _command(
                http, ports["replica-b"], f"schedule {minute:%H:%M} UTC daily", fake.response_url()
            )
            await _until(lambda: fake.responses, 10, "the command was not answered")
            assert "Digests now go out" in fake.responses[0]["text"]

            seconds_left = (minute - datetime.now(UTC)).total_seconds()
            await _until(
                lambda: fake.history.get("C1"),
                seconds_left + ON_TIME + 5,
                f"no digest within {ON_TIME:.0f} s of {minute:%H:%M}",
            )
            arrived = datetime.now(UTC)
            late = (arrived - minute).total_seconds()
            print(f"digest arrived {late:.1f} s after {minute:%H:%M:%S}")
            assert -1.0 <= late <= ON_TIME
        finally:
            for process in processes.values():
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
                    await asyncio.wait_for(process.wait(), 30)
