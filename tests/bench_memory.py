"""`make bench`, memory: the resident size of `paperboy run` (its process and any children)
while it composes and posts a morning's digests with the MiniLM model, and once idle.

Two set-ups side by side: the model in a worker process that stops when idle (the default)
and the model loaded into the main process (``PAPERBOY_EMBEDDER_IDLE_SECONDS=0``).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

import httpx

from digest.ranking.embedding import minilm_installed
from tests.bench_fanout import ROOT, start_fake_slack
from tests.test_crash import CHANNELS, _free_port, _prepare

__all__ = ["bench_memory"]

IDLE_SECONDS = 5.0  # the worker's idle timeout in this benchmark (the default is 300 s)


def _rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants, from /proc."""
    total = 0.0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 1024
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += _rss_mb(int(child))
    except (FileNotFoundError, ProcessLookupError):
        pass
    return total


async def _measure(idle_seconds: float) -> tuple[float, float]:
    fake, base_url = await start_fake_slack()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            database = f"sqlite:///{Path(tmp) / 'memory.db'}"
            await _prepare(database)  # channels due now; papers stored without embeddings
            env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERBOY_")}
            env.update(
                PAPERBOY_DATABASE_URL=database,
                PAPERBOY_SLACK_BOT_TOKEN="xoxb-bench",
                PAPERBOY_SLACK_SIGNING_SECRET="bench",
                PAPERBOY_SLACK_API_URL=f"{base_url}/api/",
                PAPERBOY_EMBEDDER="auto",
                PAPERBOY_EMBEDDER_IDLE_SECONDS=str(idle_seconds),
                PAPERBOY_SOURCES="feeds",
                PAPERBOY_FULL_TEXT="false",
                PAPERBOY_HTTP_PORT=str(_free_port()),
                PAPERBOY_LOG_LEVEL="WARNING",
            )
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", "--slack-http", cwd=ROOT, env=env
            )
            peak = 0.0
            try:
                async with httpx.AsyncClient() as client:
                    while (await client.get(f"{base_url}/stats")).json()["channels"] < CHANNELS:
                        assert process.returncode is None, "paperboy run stopped"
                        peak = max(peak, _rss_mb(process.pid))
                        await asyncio.sleep(0.2)
                for _ in range(int((IDLE_SECONDS + 10) / 0.2)):  # the worker's idle timeout
                    peak = max(peak, _rss_mb(process.pid))
                    await asyncio.sleep(0.2)
                idle = _rss_mb(process.pid)
            finally:
                process.terminate()
                await process.wait()
    finally:
        fake.terminate()
        await fake.wait()
    return peak, idle


def bench_memory() -> None:
    print("\n== memory of `paperboy run` (RSS of the process and its children) ==")
    if not minilm_installed():
        print("skipped: the ml extra (MiniLM, torch) is not installed")
        return
    for label, idle_seconds in (
        (f"model in a worker (stops after {IDLE_SECONDS:g} s idle)", IDLE_SECONDS),
        ("model in the main process", 0.0),
    ):
        peak, idle = asyncio.run(_measure(idle_seconds))
        print(f"{label}: {peak:.0f} MB while posting {CHANNELS} digests, {idle:.0f} MB idle")
