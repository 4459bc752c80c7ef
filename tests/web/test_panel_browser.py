"""The control panel in a real browser (Debian's headless Chromium, driven by Playwright),
opened from a `/papers panel` reply of the real Slack app talking to the fake Slack.

JavaScript is switched off in the browser: every form must work without it. Screenshots of
the main pages go to PAPERBOY_PANEL_SCREENSHOTS (default: artifacts/panel/; the README's
pictures are docs/panel/, made with PAPERBOY_PANEL_SCREENSHOTS=docs/panel).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from bot.app import build_app
from bot.settings import Settings
from bot.slack_app.app import build_slack_app
from bot.web_app.routes import panel_routes
from digest.models import Platform
from tests.fakes import serve
from tests.fakes.slack import fake_slack
from tests.slack.conftest import NOW, PACE, SECRET, SlackHarness
from tests.web.conftest import PAPERS

playwright_api = pytest.importorskip("playwright.async_api", reason="pip install -e '.[dev]'")

CHROMIUM = os.environ.get("PAPERBOY_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(
    os.environ.get(
        "PAPERBOY_PANEL_SCREENSHOTS", Path(__file__).resolve().parents[2] / "artifacts" / "panel"
    )
)

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"no Chromium at {CHROMIUM}: apt-get install chromium (as .ci/run does)",
)


@pytest.fixture
async def slack_with_panel(tmp_path: Path) -> AsyncIterator[SlackHarness]:
    """`paperboy run --slack-http`'s web app: Slack events and the panel on one port."""
    from digest.clock import FixedClock

    async with fake_slack() as fake:
        settings = Settings(
            _env_file=None,
            database_url=f"sqlite:///{tmp_path / 'browser.db'}",
            embedder="none",
            sources=["feeds"],
            slack_signing_secret=SecretStr(SECRET),
            slack_api_url=fake.api_url,
            slack_bot_token=SecretStr("xoxb-single"),
            hf_base_url=fake.base_url,
            arxiv_api_url=f"{fake.base_url}/arxiv",
            arxiv_html_url=f"{fake.base_url}/html",
        )
        async with build_app(settings, clock=FixedClock(NOW)) as paperboy:
            paperboy.repository.upsert_papers(PAPERS, NOW - timedelta(hours=3))
            side = build_slack_app(settings, paperboy, message_interval=PACE)
            web_app = side.app.web_app(path="/slack/events")
            web_app.add_routes(panel_routes(paperboy, {Platform.SLACK: side.publisher}))
            runner, url = await serve(web_app)
            paperboy.panel.public_url = url  # as PAPERBOY_PUBLIC_URL would name it
            http = httpx.AsyncClient(timeout=10)
            try:
                yield SlackHarness(fake=fake, paperboy=paperboy, side=side, url=url, http=http)
            finally:
                await http.aclose()
                await runner.cleanup()
                await side.close()


async def reply_to(h: SlackHarness, text: str, **where: Any) -> str:
    """A /papers command's reply text, as Slack shows it to the person who typed it."""
    before = len(h.fake.responses)
    assert (await h.command(text, **where)).status_code == 200
    await h.until(lambda: len(h.fake.responses) > before)
    return json.dumps(h.fake.responses[-1])


async def test_the_panel_in_a_browser(slack_with_panel: SlackHarness) -> None:
    h = slack_with_panel
    answer = await reply_to(h, "panel")
    found = re.search(r"(http://127\.0\.0\.1:\d+/panel/open\?t=[\w.-]+)", answer)
    assert found, answer
    link = found.group(1)
    SHOTS.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 (once, before the browser)

    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = await browser.new_context(
            java_script_enabled=False, viewport={"width": 1200, "height": 900}
        )
        page = await context.new_page()
        try:
            # Open the link: a session for workspace T1, and its channels.
            opened = await page.goto(link)
            assert opened is not None and opened.status == 200
            assert page.url == f"{h.url}/panel/slack/T1/"
            cookies = await context.cookies()
            assert [(c["name"], c["httpOnly"], c["sameSite"]) for c in cookies] == [
                ("paperboy_panel", True, "Lax")
            ]
            await page.screenshot(path=str(SHOTS / "channels.png"), full_page=True)
            await page.click("text=#papers")

            # Add an interest: the same answer as the command, with its trial.
            await page.fill("#interest-text", "diffusion policy robot")
            await page.click("#add-interest")
            flash = await page.inner_text("#flash")
            assert "Added query interest “diffusion policy robot”" in flash
            assert "it would have picked" in flash
            assert await page.inner_text(".interest-text") == "diffusion policy robot"

            # Change the schedule, and see it through /papers settings in Slack.
            await page.fill("input[name=time]", "07:30")
            await page.fill("input[name=timezone]", "Europe/Berlin")
            await page.select_option("select[name=days]", "weekly mon")
            await page.click("#save-schedule")
            assert "Digests now go out Mon at 07:30 (Europe/Berlin)" in await page.inner_text(
                "#flash"
            )
            await page.screenshot(path=str(SHOTS / "channel.png"), full_page=True)
            assert (await h.command("settings")).status_code == 200
            await h.until(lambda: h.fake.called("views.open"))
            view = json.dumps(h.fake.called("views.open")[-1].params["view"])
            assert '"initial_time": "07:30"' in view and "Europe/Berlin" in view

            # Post a digest now; the delivery log shows it, with links to its messages.
            await page.click("#digest-now")
            assert "Posted a digest of" in await page.inner_text("#flash")
            await page.click("text=Delivery log")
            run = page.locator("section.run").first
            assert "Diffusion Policy for Robot Arms" in await run.inner_text()
            assert await run.locator(".badge.sent").count() >= 1
            message = await run.locator("a:text('open')").first.get_attribute("href")
            assert message is not None and message.startswith("https://slack.com/archives/C1/p")
            await page.screenshot(path=str(SHOTS / "log.png"), full_page=True)

            # Why was this paper not posted? Below the threshold.
            await page.click("text=Why (not) posted")
            await page.fill("#why-ref", "Protein Folding at Scale")
            await page.click("#ask-why")
            verdict = await page.inner_text("#verdict")
            assert verdict.startswith("Not posted: below the threshold"), verdict
            table = await page.inner_text("#why-interests")
            assert "diffusion policy robot" in table and "below" in table
            await page.screenshot(path=str(SHOTS / "why-not.png"), full_page=True)

            # An altered link, and another workspace's channel: 403, nothing shown.
            payload, _mac = link.split("t=", 1)[1].split(".")
            altered = await page.goto(link.replace(payload, payload[:-3] + "AAA"))
            assert altered is not None and altered.status == 403
            assert "Ask for a new link" in await page.inner_text("main")
            await page.screenshot(path=str(SHOTS / "denied.png"), full_page=True)
            await reply_to(h, "interests add secret plans", team="T2", channel="C9")
            theirs = h.paperboy.repository.ensure_channel(Platform.SLACK, "T2", "C9")
            for url in (
                f"{h.url}/panel/slack/T1/c/{theirs.id}/",
                f"{h.url}/panel/slack/T2/c/{theirs.id}/",
                f"{h.url}/panel/slack/T2/",
            ):
                refused = await page.goto(url)
                assert refused is not None and refused.status == 403, url
                assert "secret plans" not in await page.content()
        finally:
            await context.close()
            await browser.close()
