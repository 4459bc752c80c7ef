"""The real Bolt app over HTTP, talking to the fake Slack; signed requests like Slack's."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from pydantic import SecretStr

from bot.app import App, build_app
from bot.settings import Settings
from bot.slack_app.app import SlackSide, build_slack_app
from digest.clock import FixedClock
from tests.fakes import serve
from tests.fakes.slack import FakeSlack, fake_slack

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
NOW = datetime(2026, 6, 12, 7, 0, tzinfo=UTC)
PACE = 0.05  # seconds between two messages to one channel
WAIT_SECONDS = 30.0  # an upper bound for work after the ack (a busy machine), never an expectation
# The same, for work that starts the embedding model: 3-5 s alone, 20+ s on a busy machine.
COLD_SECONDS = 90.0


async def wait_until(check: Callable[[], Any], seconds: float = WAIT_SECONDS) -> Any:
    """Poll until ``check()`` is truthy: work that follows an ack finishes on its own time."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not (value := check()):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting for the Slack listener")
        await asyncio.sleep(0.02)
    return value


def sign(body: bytes, timestamp: int, secret: str = SECRET) -> str:
    base = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class SlackHarness:
    fake: FakeSlack
    paperboy: App
    side: SlackSide
    url: str
    http: httpx.AsyncClient

    async def post(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> httpx.Response:
        ts = int(time.time()) if timestamp is None else timestamp
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": signature or sign(body, ts),
        }
        return await self.http.post(f"{self.url}/slack/events", content=body, headers=headers)

    async def command(
        self, text: str, *, user: str = "U1", channel: str = "C1", team: str = "T1", **signing: Any
    ) -> httpx.Response:
        form = {
            "token": "legacy",
            "team_id": team,
            "team_domain": "test",
            "channel_id": channel,
            "channel_name": "papers",
            "user_id": user,
            "user_name": "ada",
            "command": "/papers",
            "text": text,
            "api_app_id": "A1",
            "trigger_id": "trigger-1",
            "response_url": self.fake.response_url(),
        }
        return await self.post(
            urlencode(form).encode(), "application/x-www-form-urlencoded", **signing
        )

    async def interact(self, payload: dict[str, Any]) -> httpx.Response:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self.post(body, "application/x-www-form-urlencoded")

    async def event(self, event: dict[str, Any], *, team: str = "T1") -> httpx.Response:
        """An Events API callback, as Slack sends it."""
        envelope = {
            "token": "legacy",
            "team_id": team,
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": f"Ev{time.monotonic_ns()}",
            "event_time": int(time.time()),
            "event": event,
        }
        return await self.post(json.dumps(envelope).encode(), "application/json")

    async def until(self, check: Callable[[], Any], seconds: float = WAIT_SECONDS) -> Any:
        return await wait_until(check, seconds)

    async def until_async(self, check: Callable[[], Awaitable[bool]]) -> None:
        deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
        while not await check():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("timed out waiting for the Slack listener")
            await asyncio.sleep(0.02)


HarnessFactory = Callable[..., Awaitable[SlackHarness]]


@asynccontextmanager
async def open_harness(
    tmp_path: Path, *, oauth: bool = False, embedder: str = "none"
) -> AsyncIterator[SlackHarness]:
    """The real Bolt app served over HTTP, the fake Slack behind it (for tests and benches).

    ``embedder="minilm"`` gives the shipped model in its worker process, cold: it starts on
    the first command that ranks, as after a deploy."""
    async with fake_slack() as fake:
        settings = Settings(
            _env_file=None,
            database_url=f"sqlite:///{tmp_path / 'slack.db'}",
            embedder=embedder,
            slack_signing_secret=SecretStr(SECRET),
            slack_api_url=fake.api_url,
            hf_base_url=fake.base_url,  # HF search lands on the fake (a 404): never the network
            arxiv_api_url=f"{fake.base_url}/arxiv",
            arxiv_html_url=f"{fake.base_url}/html",
            slack_bot_token=None if oauth else SecretStr("xoxb-single"),
            slack_client_id="111.222" if oauth else None,
            slack_client_secret=SecretStr("client-secret") if oauth else None,
        )
        async with build_app(settings, clock=FixedClock(NOW)) as paperboy:
            # Paced as in production, on a shorter interval to keep the tests quick.
            side = build_slack_app(settings, paperboy, message_interval=PACE)
            runner, url = await serve(side.app.web_app(path="/slack/events"))
            http = httpx.AsyncClient(timeout=10)
            try:
                yield SlackHarness(fake=fake, paperboy=paperboy, side=side, url=url, http=http)
            finally:
                await http.aclose()
                await runner.cleanup()
                await side.close()


@pytest.fixture
async def slack(tmp_path: Path) -> AsyncIterator[HarnessFactory]:
    """Call with ``oauth=True`` for the multi-workspace install flow."""
    stack = contextlib.AsyncExitStack()

    async def make(*, oauth: bool = False, embedder: str = "none") -> SlackHarness:
        return await stack.enter_async_context(
            open_harness(tmp_path, oauth=oauth, embedder=embedder)
        )

    async with stack:
        yield make
