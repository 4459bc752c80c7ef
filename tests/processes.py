"""`paperboy run` as a real process on a port the system picks, with its log kept.

Asking for port 0 and reading the bound port from the process's own log line leaves no window
in which another server could take a port chosen beforehand: every request reaches this
process, and a failing test can show what the process logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["RunningBot", "running_bot"]


@dataclass
class RunningBot:
    process: asyncio.subprocess.Process
    port: int = 0
    log: list[dict[str, Any]] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(json.dumps(entry) for entry in self.log[-lines:])


async def _read_log(bot: RunningBot, listening: asyncio.Future[int]) -> None:
    assert bot.process.stderr is not None
    async for raw in bot.process.stderr:
        text = raw.decode("utf-8", "replace").strip()
        try:
            entry = json.loads(text)
        except ValueError:
            entry = {"message": text}
        if not isinstance(entry, dict):
            entry = {"message": text}
        bot.log.append(entry)
        if entry.get("message") == "HTTP server listening" and not listening.done():
            listening.set_result(int(entry["port"]))
    if not listening.done():
        listening.set_exception(AssertionError(f"paperboy run ended:\n{bot.log_tail()}"))


@contextlib.asynccontextmanager
async def running_bot(
    settings: Mapping[str, str], *args: str, cwd: Path, start_seconds: float = 120
) -> AsyncIterator[RunningBot]:
    """``paperboy run *args --port 0`` with ``settings`` as its only PAPERBOY_ variables;
    yields once it listens, and stops it (SIGTERM, then SIGKILL) afterwards."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERBOY_")}
    env.update({"PAPERBOY_LOG_LEVEL": "INFO", **settings})
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        *args,
        "--port",
        "0",
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    bot = RunningBot(process)
    listening: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    reader = asyncio.create_task(_read_log(bot, listening))
    try:
        bot.port = await asyncio.wait_for(listening, start_seconds)
        yield bot
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(reader, 5)
