"""`make bench`, delivery: digests to 1,000 Slack channels through a fake that enforces Slack's
one message per second per channel (429 + Retry-After beyond it).

The fake runs in a process of its own (as Slack would be elsewhere); paperboy's real outbox,
Slack publisher and slack_sdk client do the sending from a SQLite database, the default. The
ideal is what the rate limit allows: every channel in parallel, a channel's m messages one
second apart, so (m - 1) seconds after the first post. Also reported: the bound that the
sender's own throughput r sets, channels / r + (m - 1), which no pacing can beat. Reported
with the number of 429s, of papers posted twice to a channel (must be 0) and of deliveries
not settled (must be 0).
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
from pydantic import SecretStr
from sqlalchemy import create_engine, text

from bot.app import build_app
from bot.settings import Settings
from bot.slack_app.app import build_slack_app
from digest.compose import Digest
from digest.models import DigestItem, Paper, Platform

__all__ = ["ROOT", "bench_fanout", "start_fake_slack"]

ROOT = Path(__file__).resolve().parents[1]
POSTGRES = os.environ.get(
    "PAPERBOY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


async def start_fake_slack() -> tuple[asyncio.subprocess.Process, str]:
    """The fake Slack in a process of its own, enforcing 1 message/s per channel."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakes.slack",
        "--per-channel-interval",
        "1.0",
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    assert process.stdout is not None
    base_url = (await asyncio.wait_for(process.stdout.readline(), 30)).decode().strip()
    return process, base_url


async def _fanout(
    papers: list[Paper],
    channels: int,
    per_digest: int,
    *,
    threads: bool = True,
    database: str | None = None,
    paced: bool = True,
) -> None:
    process, base_url = await start_fake_slack()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(
                _env_file=None,
                database_url=database or f"sqlite:///{Path(tmp) / 'fanout.db'}",
                slack_bot_token=SecretStr("xoxb-bench"),
                slack_signing_secret=SecretStr("bench"),
                slack_api_url=f"{base_url}/api/",
                embedder="none",
                full_text=False,
                fanout_concurrency=channels,
            )
            async with build_app(settings) as app:
                side = build_slack_app(
                    settings, app, **({} if paced else {"message_interval": 0.0})
                )
                now = datetime.now(UTC)
                app.repository.upsert_papers(papers, now)
                rng = random.Random(7)
                started = time.perf_counter()
                for n in range(channels):
                    channel = app.repository.save_channel(
                        dataclasses.replace(
                            app.repository.ensure_channel(Platform.SLACK, "T1", f"C{n:05d}"),
                            delivery_mode="thread" if threads else "channel",
                        )
                    )
                    picked = rng.sample(papers, per_digest)
                    items = tuple(
                        DigestItem(paper=p, score=1.0 - i / 100, why="matches “bench”")
                        for i, p in enumerate(picked)
                    )
                    app.outbox.enqueue(
                        Digest(channel=channel, day=now.date(), items=items, scanned=len(papers))
                    )
                queued = time.perf_counter() - started
                started = time.perf_counter()
                handled = await app.outbox.drain(
                    {Platform.SLACK: side.publisher}, limit=settings.fanout_concurrency
                )
                elapsed = time.perf_counter() - started
                unsettled = sum(
                    1
                    for c in app.repository.list_channels()
                    for d in app.repository.list_deliveries(c.id or 0)
                    if d.status != "sent"
                )
                await side.close()
            async with httpx.AsyncClient() as client:
                stats = (await client.get(f"{base_url}/stats")).json()
    finally:
        process.terminate()
        await process.wait()
    most = stats["most_posts_in_a_channel"]
    ideal = max(most - 1, 0) * 1.0
    # The ideal assumes every channel's first message leaves at once. A sender that posts r
    # messages/s needs channels / r seconds just for the first messages, and the last channel
    # still owes (most - 1) seconds after its first: no schedule can beat that bound.
    bound = channels / (stats["posts"] / elapsed) + ideal
    label = (
        f"{per_digest} papers{', in a thread' if threads else ''}"
        f"{'' if paced else ', unpaced'}{', PostgreSQL' if database else ', SQLite'}"
    )
    print(
        f"{label}: {handled} digests, {stats['posts']} messages (up to {most} per channel); "
        f"queued in {queued:.1f} s; sent in {elapsed:.1f} s vs ideal {ideal:.1f} s "
        f"({elapsed / ideal if ideal else float('nan'):.2f}x, target 1.2x: "
        f"{'met' if ideal and elapsed <= 1.2 * ideal else 'NOT met'}); "
        f"{stats['posts'] / elapsed:.0f} messages/s (at that rate no schedule ends before "
        f"{bound:.1f} s: {elapsed / bound:.2f}x of it); each channel's messages "
        f"{stats['channel_span_per_gap_median']:.2f} s apart (median); "
        f"429s: {stats['rate_limited']}; "
        f"papers posted twice: {stats['duplicate_papers']}; unsettled deliveries: {unsettled}"
    )


def bench_fanout(papers: list[Paper], channels: int = 1_000) -> None:
    print(
        f"\n== delivery: fan-out to {channels} Slack channels through a fake allowing 1 message/s"
        " per channel (429 + Retry-After beyond) =="
    )
    asyncio.run(_fanout(papers, channels, 8))
    asyncio.run(_fanout(papers, channels, 25))
    # The peer: the same sender relying on slack_sdk's 429 retries instead of pacing.
    asyncio.run(_fanout(papers, channels, 25, paced=False))
    schema = f"bench_fanout_{uuid.uuid4().hex[:8]}"
    try:
        admin = create_engine(POSTGRES, connect_args={"connect_timeout": 3})
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # no server: say so and go on
        print(f"PostgreSQL fan-out skipped: no server at {POSTGRES} ({type(exc).__name__})")
        return
    try:
        url = f"{POSTGRES}?options=-csearch_path%3D{schema}"
        asyncio.run(_fanout(papers, channels, 25, database=url))
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
