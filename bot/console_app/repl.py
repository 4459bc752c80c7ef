"""A local REPL: type the same `/papers ...` commands as in Slack or Discord."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from rich.console import Console

from bot.console_app.publisher import ConsolePublisher
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
    handlers: Handlers, console: Console, *, read_line: ReadLine = _stdin_line
) -> None:
    publisher = ConsolePublisher(console)
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
