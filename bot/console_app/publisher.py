"""The console publisher: prints digests with rich; message ids are local counters.

An alert prints as one short line; a trends picture is written as a PNG file (in
``charts_dir``) whose path is printed; a personal digest says whose direct message it is.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import tempfile
from pathlib import Path

from rich.console import Console
from rich.text import Text

from bot.console_app.render import render_digest
from digest.compose import Digest
from digest.ports import SentMessage
from digest.trends import Trends

__all__ = ["ConsolePublisher", "default_charts_dir", "save_trends"]


def default_charts_dir() -> Path:
    return Path(tempfile.gettempdir()) / "paperboy-charts"


async def save_trends(trends: Trends, directory: Path, name: str) -> Path:
    """Draws the picture into ``directory/name.png`` (off the event loop); returns the path."""
    from bot.charts import write_trends  # matplotlib loads only when a picture is drawn

    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "trends"

    def draw() -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        return write_trends(trends, directory / f"{safe}.png")

    return await asyncio.to_thread(draw)


class ConsolePublisher:
    def __init__(self, console: Console, *, charts_dir: Path | None = None) -> None:
        self._console = console
        self._charts_dir = charts_dir or default_charts_dir()
        self._ids = itertools.count(1)
        self.sent: list[Digest] = []
        self.files: list[Path] = []

    async def publish(self, digest: Digest, delivery_tag: str) -> list[SentMessage]:
        channel = digest.channel
        if channel.is_personal:
            self._console.print(Text(f"(direct message to {channel.personal_user})", style="dim"))
        if digest.kind == "trends" and digest.trends is not None:
            path = await save_trends(
                digest.trends, self._charts_dir, f"trends-{channel.channel_id}-{delivery_tag}"
            )
            self.files.append(path)
            self._console.print(Text(f"Trends picture: {path}"))
        elif digest.kind == "alert" and digest.items:
            item = digest.items[0]
            line = Text("New paper: ", style="bold")
            line.append(item.paper.title, style="bold cyan")
            line.append(f" — {item.why}")
            if item.paper.link:
                line.append(f" {item.paper.link}", style="dim")
            self._console.print(line)
        else:
            self._console.print(render_digest(digest))
        self.sent.append(digest)
        return [SentMessage(f"console-{next(self._ids)}", tuple(i.paper.key for i in digest.items))]

    async def find_sent(self, digest: Digest, delivery_tag: str) -> dict[str, str]:
        """What was printed before a restart is gone: nothing is known to have arrived."""
        return {}
