"""The console publisher: prints digests with rich; message ids are local counters."""

from __future__ import annotations

import itertools

from rich.console import Console

from bot.console_app.render import render_digest
from digest.compose import Digest
from digest.ports import SentMessage

__all__ = ["ConsolePublisher"]


class ConsolePublisher:
    def __init__(self, console: Console) -> None:
        self._console = console
        self._ids = itertools.count(1)
        self.sent: list[Digest] = []

    async def publish(self, digest: Digest, delivery_tag: str) -> list[SentMessage]:
        self._console.print(render_digest(digest))
        self.sent.append(digest)
        return [SentMessage(f"console-{next(self._ids)}", tuple(i.paper.key for i in digest.items))]

    async def find_sent(self, digest: Digest, delivery_tag: str) -> dict[str, str]:
        """What was printed before a restart is gone: nothing is known to have arrived."""
        return {}
