"""`paperboy run`: the long-running process."""

from __future__ import annotations

import logging

from rich.console import Console

from bot.app import build_app
from bot.console_app.publisher import ConsolePublisher
from bot.console_app.repl import run_repl
from bot.scheduling import DigestScheduler
from bot.settings import Settings
from digest.models import Platform

__all__ = ["run_forever"]

log = logging.getLogger(__name__)


async def run_forever(settings: Settings, console: Console, *, slack_http: bool = False) -> None:
    async with build_app(settings) as app:
        platforms = [
            name
            for name, on in (
                ("Slack", settings.slack_enabled or slack_http),
                ("Discord", settings.discord_enabled),
            )
            if on
        ]
        if platforms:
            log.error(
                "the %s adapter is not available in this version; using the console",
                " and ".join(platforms),
            )
        publisher = ConsolePublisher(console)
        scheduler = DigestScheduler(app, {Platform.CONSOLE: publisher})
        scheduler.start()
        try:
            await run_repl(app.handlers, console)
        finally:
            scheduler.shutdown()
