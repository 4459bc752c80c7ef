"""The panel served as `paperboy run` serves it, over SQLite, with a fixed clock."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from aiohttp import web

from bot.app import App, build_app
from bot.console_app.publisher import ConsolePublisher
from bot.handlers import CommandContext
from bot.settings import Settings
from bot.web_app.routes import panel_routes
from digest.clock import FixedClock
from digest.models import Paper, Platform
from tests.fakes import serve

NOW = datetime(2026, 6, 12, 7, 0, tzinfo=UTC)  # a Friday

PAPERS = [
    Paper(
        id="2406.00001",
        arxiv_id="2406.00001",
        title="Diffusion Policy for Robot Arms",
        abstract="A diffusion policy for robot manipulation from demonstrations.",
        abs_url="https://arxiv.org/abs/2406.00001",
        sources=("arxiv-rss",),
        categories=("cs.RO",),
    ),
    Paper(
        id="2406.00002",
        arxiv_id="2406.00002",
        title="Protein Folding at Scale",
        abstract="Folding proteins with transformers.",
        abs_url="https://arxiv.org/abs/2406.00002",
        sources=("hf-daily",),
        categories=("q-bio.BM",),
    ),
    Paper(
        id="2406.00003",
        arxiv_id="2406.00003",
        title="<script>alert('x')</script> Robot Learning",
        abstract="Robot learning with diffusion models, with an unfriendly title.",
        sources=("arxiv-rss",),
        categories=("cs.RO",),
    ),
]


@dataclass
class Panel:
    paperboy: App
    clock: FixedClock
    url: str
    publisher: ConsolePublisher

    def ctx(
        self, *, workspace: str = "T1", channel: str = "C1", manager: bool = False, user: str = "U1"
    ) -> CommandContext:
        return CommandContext(
            platform=Platform.CONSOLE,
            workspace_id=workspace,
            channel_id=channel,
            channel_name=f"papers-{channel.lower()}",
            user_id=user,
            is_manager=manager,
            publisher=self.publisher,
        )

    async def command(self, text: str, **ctx: object) -> str:
        reply = await self.paperboy.handlers.handle(text, self.ctx(**ctx))  # type: ignore[arg-type]
        return "\n".join((reply.text, *reply.lines, reply.link or ""))

    async def link(self, **ctx: object) -> str:
        """The link a `/papers panel` reply gives."""
        text = await self.command("panel", **ctx)
        found = re.search(r"(http://\S+/panel/open\?t=\S+)", text)
        assert found, text
        return found.group(1)


@pytest.fixture
async def panel(tmp_path: Path) -> AsyncIterator[Panel]:
    from rich.console import Console

    clock = FixedClock(NOW)
    runner: web.AppRunner | None = None
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite:///{tmp_path / 'panel.db'}",
        embedder="none",
        sources=["feeds"],
    )
    async with build_app(settings, clock=clock) as paperboy:
        paperboy.repository.upsert_papers(PAPERS, NOW - timedelta(hours=3))
        publisher = ConsolePublisher(Console(file=io.StringIO()))
        web_app = web.Application()
        web_app.add_routes(panel_routes(paperboy, {Platform.CONSOLE: publisher}))
        runner, url = await serve(web_app)
        # Links name the address the panel is served at, as PAPERBOY_PUBLIC_URL would.
        paperboy.panel.public_url = url
        try:
            yield Panel(paperboy=paperboy, clock=clock, url=url, publisher=publisher)
        finally:
            await runner.cleanup()


def client() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=10, follow_redirects=False)
