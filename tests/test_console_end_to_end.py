"""One full day through the console adapter: SQLite, fake sources, typed /papers commands."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path

from rich.console import Console

from bot.app import build_app
from bot.console_app.render import render_digest
from bot.console_app.repl import run_repl
from bot.settings import Settings
from digest.clock import FixedClock
from digest.compose import Digest
from digest.models import Channel, DigestItem, Paper, Platform
from digest.sources.feed import FileSource

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SAMPLE = Path(__file__).resolve().parents[1] / "bot" / "data" / "sample_listing.txt"


def scripted(lines: list[str]):  # type: ignore[no-untyped-def]
    queue = list(lines)

    async def read_line(prompt: str) -> str | None:
        return queue.pop(0) if queue else None

    return read_line


async def test_a_day_from_fetch_to_posted_digest(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'day.db'}", _env_file=None)
    clock = FixedClock(datetime(2026, 6, 12, 9, 0, tzinfo=UTC))
    out = io.StringIO()
    console = Console(file=out, width=120, force_terminal=False)
    async with build_app(settings, clock=clock) as app:
        report = await app.ingest.ingest([FileSource(SAMPLE)], clock.now().date())
        assert report.counts.new == 8
        await run_repl(
            app.handlers,
            console,
            read_line=scripted(
                [
                    "/papers interests add mixture of experts inference",
                    "/papers interests add speculative decoding --weight 2",
                    "/papers interests list",
                    "/papers bogus",
                    "/papers digest now",
                    "/papers status",
                    "quit",
                ]
            ),
        )
        channel = app.repository.ensure_channel(Platform.CONSOLE, "local", "console")
        assert channel.id is not None
        sent = app.repository.list_deliveries(channel.id)
    text = out.getvalue()
    assert "Added query interest “mixture of experts inference”." in text
    assert "unknown command `bogus`" in text
    assert "Sparse Mixture-of-Experts Inference on a Single GPU" in text
    assert "Speculative Decoding with Draft Trees" in text
    assert "Posted a digest of" in text
    assert {d.status for d in sent} == {"sent"} and len(sent) >= 2
    assert "Last digest: Fri 12 Jun 09:00 UTC" in text


def test_console_rendering_never_interprets_paper_text() -> None:
    hostile = Paper(
        title="[bold red]<!channel> @everyone[/] hello",
        abstract="Contains [link=https://evil.example]markup[/link] and <@U123>.",
        abs_url="https://arxiv.org/abs/2401.00001",
    )
    channel = Channel(platform=Platform.CONSOLE, workspace_id="w", channel_id="c", id=1)
    digest = Digest(
        channel=channel,
        day=date(2026, 6, 12),
        items=(DigestItem(paper=hostile, score=1.0, why="matches [x]"),),
        scanned=1,
    )
    out = io.StringIO()
    Console(file=out, width=200, force_terminal=False).print(render_digest(digest))
    text = out.getvalue()
    assert "[bold red]<!channel> @everyone[/] hello" in text
    assert "[link=https://evil.example]markup[/link]" in text
