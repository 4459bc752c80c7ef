"""A local REPL: type the same `/papers ...` commands as in Slack or Discord."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from rich.console import Console

from bot.console_app.publisher import ConsolePublisher, default_charts_dir, save_trends
from bot.console_app.render import render_reply
from bot.handlers import CommandContext, Handlers
from digest.models import Platform

__all__ = ["console_context", "run_repl"]

ReadLine = Callable[[str], Awaitable[str | None]]


async def _stdin_line(prompt: str) -> str | None:
    try:
        return await asyncio.to_thread(input, prompt)
    except EOFError:
        return None


def console_context(publisher: ConsolePublisher, channel: str = "console") -> CommandContext:
    return CommandContext(
        platform=Platform.CONSOLE,
        workspace_id="local",
        channel_id=channel,
        channel_name=channel,
        user_id="you",
        is_manager=True,
        publisher=publisher,
    )


async def run_repl(
    handlers: Handlers,
    console: Console,
    *,
    read_line: ReadLine = _stdin_line,
    charts_dir: Path | None = None,
) -> None:
    charts_dir = charts_dir or default_charts_dir()
    publisher = ConsolePublisher(console, charts_dir=charts_dir)
    ctx = console_context(publisher)
    console.print("paperboy console — type /papers help, or quit to leave.", style="bold")
    while True:
        line = await read_line("paperboy> ")
        if line is None or line.strip().lower() in ("quit", "exit", ":q"):
            return
        if not line.strip():
            continue
        reply = await handlers.handle(line, ctx)
        console.print(render_reply(reply))
        if reply.trends is not None:
            path = await save_trends(reply.trends, charts_dir, f"trends-{ctx.channel_id}")
            console.print(f"Trends picture: {path}", markup=False, highlight=False)
