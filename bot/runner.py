"""`paperboy run`: the long-running process — scheduler plus every configured adapter."""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web
from rich.console import Console

from bot.app import build_app
from bot.console_app.publisher import ConsolePublisher
from bot.console_app.repl import run_repl
from bot.metrics import Metrics
from bot.ops import ops_routes
from bot.scheduling import DigestScheduler
from bot.settings import Settings
from bot.web_app.routes import panel_routes
from digest.models import Platform
from digest.ports import Publisher

__all__ = ["run_forever"]

log = logging.getLogger(__name__)


async def _serve(app: web.Application, port: int) -> web.AppRunner:
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "0.0.0.0", port).start()  # noqa: S104 (a server listens)
    # The port bound, not the one asked for: with port 0 the system picks a free one.
    bound = sorted({int(address[1]) for address in runner.addresses}) or [port]
    log.info("HTTP server listening", extra={"port": bound[0]})
    return runner


async def _until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def run_forever(settings: Settings, console: Console, *, slack_http: bool = False) -> None:
    metrics = Metrics()
    async with build_app(settings, metrics=metrics) as app:
        publishers: dict[Platform, Publisher] = {}
        cleanups = []
        web_app = web.Application()
        if settings.slack_enabled or slack_http:
            from bot.slack_app.app import build_slack_app

            side = build_slack_app(settings, app)
            cleanups.append(side.close)
            publishers[Platform.SLACK] = side.publisher
            if slack_http or side.oauth:
                web_app = side.app.web_app(path="/slack/events")  # health routes join it below
            elif settings.slack_app_token is not None:
                from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

                handler = AsyncSocketModeHandler(
                    side.app, settings.slack_app_token.get_secret_value()
                )
                await handler.connect_async()
                cleanups.append(handler.close_async)
                log.info("Slack Socket Mode connected")
            else:
                log.error("Slack needs PAPERBOY_SLACK_APP_TOKEN (Socket Mode) or --slack-http")
        if settings.discord_enabled:
            from bot.discord_app.client import build_discord_client

            assert settings.discord_token is not None
            discord_client = build_discord_client(settings, app)
            await discord_client.login(settings.discord_token.get_secret_value())
            connection = asyncio.create_task(discord_client.connect(), name="discord")
            publishers[Platform.DISCORD] = discord_client.publisher

            async def close_discord() -> None:
                await discord_client.close()
                connection.cancel()

            cleanups.append(close_discord)
        interactive = not publishers
        if interactive:
            publishers[Platform.CONSOLE] = ConsolePublisher(console, charts_dir=settings.charts_dir)
        scheduler = DigestScheduler(
            app, publishers, metrics=metrics, concurrency=settings.fanout_concurrency
        )
        web_app.add_routes(ops_routes(app, metrics, scheduler_running=lambda: scheduler.running))
        web_app.add_routes(panel_routes(app, publishers))
        log.info("control panel at %s/panel/ (open it with /papers panel)", settings.panel_url)
        runner = await _serve(web_app, settings.http_port)
        cleanups.append(runner.cleanup)
        scheduler.start()
        try:
            if interactive:
                await run_repl(app.handlers, console, charts_dir=settings.charts_dir)
            else:
                await _until_stopped()
        finally:
            scheduler.shutdown()
            for cleanup in reversed(cleanups):
                await cleanup()
