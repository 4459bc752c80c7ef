"""`paperboy run --slack-http --port N` as a real process against the fake Slack."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx

from tests.fakes.slack import fake_slack
from tests.processes import RunningBot, running_bot
from tests.slack.conftest import SECRET, sign

PUBLIC_URL = "https://paperboy.example"  # where people would reach it: only its links use it


async def _command(http: httpx.AsyncClient, bot: RunningBot, form: dict[str, str]) -> None:
    body = urlencode(form).encode()
    ts = int(time.time())
    response = await http.post(
        f"{bot.base}/slack/events",
        content=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": sign(body, ts),
        },
    )
    assert response.status_code == 200, (response.text, bot.log_tail())


async def test_run_serves_slack_over_http(tmp_path: Path) -> None:
    async with (
        fake_slack() as fake,
        running_bot(
            {
                "PAPERBOY_DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
                "PAPERBOY_SLACK_BOT_TOKEN": "xoxb-run",
                "PAPERBOY_SLACK_SIGNING_SECRET": SECRET,
                "PAPERBOY_SLACK_API_URL": fake.api_url,
                "PAPERBOY_EMBEDDER": "none",
                "PAPERBOY_SOURCES": "feeds",  # no feeds configured: the scheduler fetches nothing
                "PAPERBOY_PUBLIC_URL": PUBLIC_URL,
            },
            "--slack-http",
            cwd=tmp_path,
        ) as bot,
        httpx.AsyncClient() as http,
    ):
        form = {
            "team_id": "T1",
            "channel_id": "C1",
            "user_id": "U1",
            "command": "/papers",
            "text": "interests add world models",
            "response_url": fake.response_url(),
            "trigger_id": "t",
            "api_app_id": "A1",
        }
        deadline = time.monotonic() + 60
        await _command(http, bot, form)
        while not fake.responses:
            assert time.monotonic() < deadline, bot.log_tail()
            await asyncio.sleep(0.05)
        health = await http.get(f"{bot.base}/healthz")
        assert health.status_code == 200 and health.json()["status"] == "ok"
        ready = await http.get(f"{bot.base}/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["database"] == "ok" and ready.json()["scheduler"] == "running"
        metrics = (await http.get(f"{bot.base}/metrics")).text
        assert 'paperboy_command_seconds_count{command="interests",platform="slack"} 1.0' in (
            metrics
        )
        # The control panel on the same port: a /papers panel link opens it.
        denied = await http.get(f"{bot.base}/panel/open?t=forged.token")
        assert denied.status_code == 403 and "Ask for a new link" in denied.text
        await _command(http, bot, {**form, "text": "panel"})
        # The panel's reply, whichever answer came first (the interest's trial works off the
        # event loop and may answer after it). Its link is on the public address.
        pattern = rf"{re.escape(PUBLIC_URL)}(/panel/open\?t=[\w-]+\.[\w-]+)>"
        while not (link := re.search(pattern, str(fake.responses))):
            assert time.monotonic() < deadline, fake.responses
            await asyncio.sleep(0.05)
        opened = await http.get(f"{bot.base}{link.group(1)}")
        assert opened.status_code == 303, (link.group(0), opened.text, bot.log_tail())
        assert opened.headers["Location"] == "/panel/slack/T1/"
        assert any("world models" in r["text"] for r in fake.responses)
        bot.process.terminate()
        assert await asyncio.wait_for(bot.process.wait(), timeout=30) == 0, bot.log_tail()
