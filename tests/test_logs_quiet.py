"""What an operator reads: routine ticks are debug, info says what happened; the console
REPL keeps its terminal for the prompt and the replies (checked through a pseudo-terminal)."""

from __future__ import annotations

import io
import logging
import os
import pty
import select
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import build_app
from bot.logs import configure_logging
from bot.scheduling import DigestScheduler
from bot.settings import Settings
from digest.clock import FixedClock
from digest.models import Interest, InterestKind, Platform
from tests.test_crash import _free_port
from tests.test_scheduling import Publisher


@pytest.fixture
def restore_logging() -> object:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield None
    root.handlers[:] = handlers
    root.setLevel(level)


def test_apschedulers_job_runs_are_debug_lines(
    tmp_path: Path, restore_logging: object, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", "text", file=tmp_path / "info.log", to_stderr=False)
    executor = logging.getLogger("apscheduler.executors.default")
    executor.info('Running job "DigestScheduler.send_queued" (scheduled at ...)')
    logging.getLogger("bot.scheduling").info("digest composed")
    logging.getLogger("apscheduler.scheduler").warning("Run time of job was missed")
    info = (tmp_path / "info.log").read_text()
    assert "Running job" not in info
    assert "digest composed" in info and "was missed" in info  # news and trouble stay
    assert capsys.readouterr().err == ""  # to_stderr=False: nothing on the terminal

    configure_logging("DEBUG", "text", file=tmp_path / "debug.log", to_stderr=False)
    executor.info('Running job "DigestScheduler.send_queued" (scheduled at ...)')
    assert "debug   apscheduler.executors.default: Running job" in (
        (tmp_path / "debug.log").read_text()
    )


async def test_an_idle_hour_logs_at_most_a_line_a_minute(
    tmp_path: Path, restore_logging: object
) -> None:
    """Every tick of an hour, run as the scheduler runs them (sends every 2 s, elections
    every 5 s, catch-ups every 5 min, an ingest), with one channel whose digest is not due."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    configure_logging("INFO", "text", to_stderr=False)
    logging.getLogger().addHandler(handler)
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'idle.db'}",
        embedder="none",
        sources=[],
        _env_file=None,
    )
    clock = FixedClock(datetime(2026, 6, 13, 10, 0, tzinfo=UTC))  # a Saturday: nothing due
    async with build_app(settings, clock=clock) as app:
        channel = app.repository.ensure_channel(Platform.CONSOLE, "w", "c")
        assert channel.id is not None
        app.repository.add_interest(channel.id, Interest(kind=InterestKind.QUERY, text="rl"))
        scheduler = DigestScheduler(app, {Platform.CONSOLE: Publisher()})
        await scheduler.elect()
        await scheduler.settle()
        start = len(buffer.getvalue().splitlines())
        await scheduler.ingest()
        for second in range(0, 3600, 2):
            clock.advance(timedelta(seconds=2))
            await scheduler.send_queued()
            if second % 5 == 0:
                await scheduler.elect()
            if second % 300 == 0:
                await scheduler.catch_up()
    lines = buffer.getvalue().splitlines()[start:]
    assert len(lines) <= 60, lines[:10]


def _read_until(fd: int, marker: bytes, seconds: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + seconds
    while marker not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"no {marker!r} in {seen[-500:]!r}"
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the terminal closed: the process is gone
                break
            seen += chunk
    return seen


def _drain(fd: int, seconds: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                seen += os.read(fd, 4096)
            except OSError:
                break
    return seen


NOISE = (b"apscheduler", b"Running job", b"info ", b'"level"', b"HTTP server listening")


def test_the_console_repl_keeps_the_terminal_clean(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERBOY_")}
    env.update(
        {
            "PAPERBOY_DATABASE_URL": f"sqlite:///{tmp_path / 'console.db'}",
            "PAPERBOY_EMBEDDER": "none",
            "PAPERBOY_SOURCES": "feeds",  # none configured: nothing fetched
            "PAPERBOY_HTTP_PORT": str(_free_port()),
            "TERM": "xterm",
        }
    )
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        cwd=tmp_path,
        env=env,
        start_new_session=True,
    )
    os.close(follower)
    try:
        banner = _read_until(leader, b"paperboy> ", 60)
        assert b"Logging to paperboy.log" in banner
        # Several scheduler ticks (sends every 2 s, elections every 5 s) at the prompt.
        idle = _drain(leader, 6)
        assert idle == b"", idle
        os.write(leader, b"/papers help\n")
        reply = _read_until(leader, b"paperboy> ", 30)
        assert b"paperboy commands" in reply
        assert not any(noise in reply for noise in NOISE), reply
        os.write(leader, b"quit\n")
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait()
        os.close(leader)
    log = (tmp_path / "paperboy.log").read_text()
    assert "HTTP server listening" in log  # the log went to the file
    assert "Running job" not in log  # routine ticks are debug
