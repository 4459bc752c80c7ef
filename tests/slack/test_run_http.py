"""`paperboy run --slack-http --port N` as a real process against the fake Slack."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx

from tests.fakes.slack import fake_slack
from tests.slack.conftest import SECRET, sign


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_run_serves_slack_over_http(tmp_path: Path) -> None:
    async with fake_slack() as fake:
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERBOY_")}
        env.update(
            {
                "PAPERBOY_DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
                "PAPERBOY_SLACK_BOT_TOKEN": "xoxb-run",
                "PAPERBOY_SLACK_SIGNING_SECRET": SECRET,
                "PAPERBOY_SLACK_API_URL": fake.api_url,
                "PAPERBOY_EMBEDDER": "none",
                "PAPERBOY_SOURCES": "feeds",  # no feeds configured: the scheduler fetches nothing
                "PAPERBOY_PUBLIC_URL": f"http://127.0.0.1:{port}",
            }
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            "--slack-http",
            "--port",
            str(port),
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
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
            body = urlencode(form).encode()
            async with httpx.AsyncClient() as http:
                deadline = time.monotonic() + 60
                while True:
                    ts = int(time.time())
                    try:
                        response = await http.post(
                            f"http://127.0.0.1:{port}/slack/events",
                            content=body,
                            headers={
                                "Content-Type": "application/x-www-form-urlencoded",
                                "X-Slack-Request-Timestamp": str(ts),
                                "X-Slack-Signature": sign(body, ts),
                            },
                        )
                        break
                    except httpx.ConnectError:
                        assert process.returncode is None, await process.stderr.read()  # type: ignore[union-attr]
                        assert time.monotonic() < deadline, "paperboy run never listened"
                        await asyncio.sleep(0.2)
                assert response.status_code == 200
                while not fake.responses:
                    assert time.monotonic() < deadline
                    await asyncio.sleep(0.05)
                base = f"http://127.0.0.1:{port}"
                health = await http.get(f"{base}/healthz")
                assert health.status_code == 200 and health.json()["status"] == "ok"
                ready = await http.get(f"{base}/readyz")
                assert ready.status_code == 200, ready.text
                assert ready.json()["database"] == "ok" and ready.json()["scheduler"] == "running"
                metrics = (await http.get(f"{base}/metrics")).text
                assert (
                    'paperboy_command_seconds_count{command="interests",platform="slack"} 1.0'
                    in (metrics)
                )
                # The control panel on the same port: a /papers panel link opens it.
                denied = await http.get(f"{base}/panel/open?t=forged.token")
                assert denied.status_code == 403 and "Ask for a new link" in denied.text
                panel = {**form, "text": "panel"}
                body = urlencode(panel).encode()
                ts = int(time.time())
                await http.post(
                    f"{base}/slack/events",
                    content=body,
                    headers={
                        "Content-Type": "application/x-www-form-urlencoded",
                        "X-Slack-Request-Timestamp": str(ts),
                        "X-Slack-Signature": sign(body, ts),
                    },
                )
                # The panel's reply, whichever answer came first (the interest's trial works
                # off the event loop and may answer after it).
                pattern = r"http://127\.0\.0\.1:\d+/panel/open\?t=[\w-]+\.[\w-]+"
                while not (link := re.search(pattern, str(fake.responses))):
                    assert time.monotonic() < deadline, fake.responses
                    await asyncio.sleep(0.05)
                opened = await http.get(link.group(0))
                assert opened.status_code == 303
                assert opened.headers["Location"] == "/panel/slack/T1/"
            assert any("world models" in r["text"] for r in fake.responses)
        finally:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), timeout=30)
        assert process.returncode == 0
