"""Trends pictures (attachments), instant alerts and personal digests (DM channels) on
Discord: the real discord.py client against the fake Discord."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

from PIL import Image

from bot.charts import HEIGHT, WIDTH
from bot.discord_app.client import trends_filename
from digest.clock import FixedClock
from digest.compose import Digest
from digest.models import DigestItem, Paper, Platform
from digest.parsers import parse
from tests.discord.test_discord_bot import CHANNEL, NOW, Bot
from tests.fakes.discord import GUILD_ID
from tests.slack.conftest import wait_until

LISTING = Path(__file__).resolve().parents[1] / "fixtures" / "trends_listing.jsonl"
USER = "500000000000000002"  # who types the commands in the fake
BY_LECUN = Paper(
    id="2606.09999",
    arxiv_id="2606.09999",
    title="@everyone Energy-based models <@&123>",
    abstract="A world model.",
    abs_url="https://arxiv.org/abs/2606.09999",
    authors=("Lecún, Yann",),
)


def _png_size(content: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(content)) as image:
        assert image.format == "PNG"
        return image.size


def _papers_command(name: str, options: list[dict[str, Any]]) -> dict[str, Any]:
    sub = [{"name": name, "type": 1, "options": options}]
    return {"id": "100000000000000001", "name": "papers", "type": 1, "options": sub}


def _clock(b: Bot) -> FixedClock:
    clock = b.paperboy.clock
    assert isinstance(clock, FixedClock)
    return clock


async def test_trends_command_attaches_the_picture(bot: Bot) -> None:
    await bot.answered(await bot.command("interests", "add", {"text": "diffusion policy"}), 2)
    bot.paperboy.repository.upsert_papers(parse(LISTING.read_bytes(), "auto"), NOW)
    await bot.paperboy.after_ingest()
    await bot.command("trends", {"weeks": 6})
    ((where, name, content),) = await wait_until(lambda: bot.fake.files)
    assert name == "paperboy-trends.png" and where == "followups"
    assert _png_size(content) == (WIDTH, HEIGHT)
    announced = bot.fake.messages["followups"][-1]
    assert announced["attachments"][0]["filename"] == name
    assert "Trends of the last 6 weeks" in announced["content"]


async def test_instant_alert_goes_out_once_with_no_mentions(bot: Bot) -> None:
    options = [
        {"name": "author", "type": 3, "value": "Y. LeCun"},
        {"name": "instant", "type": 5, "value": True},
    ]
    token = await bot.fake.interact(_papers_command("follow", options), manager=True)
    bodies = await bot.answered(token, 2)
    assert "Instant:" in bodies[-1]["content"]
    clock = _clock(bot)
    clock.advance(timedelta(minutes=5))
    bot.paperboy.repository.upsert_papers([BY_LECUN], clock.now())
    assert await bot.paperboy.after_ingest() == 1
    channel = bot.paperboy.repository.ensure_channel(Platform.DISCORD, GUILD_ID, CHANNEL)
    (claimed,) = bot.paperboy.repository.claim_runs(
        "dead", now=clock.now(), lease=timedelta(seconds=30), limit=5
    )
    # A sender posted the alert, then died before settling it.
    alert = Digest(
        channel=channel,
        day=NOW.date(),
        items=(DigestItem(paper=BY_LECUN, score=1.0, why=claimed.items[0].why),),
        scanned=1,
        kind="alert",
    )
    await bot.client.publisher.publish(alert, f"run-{claimed.id}")
    clock.advance(timedelta(minutes=1))
    await bot.paperboy.outbox.drain({Platform.DISCORD: bot.client.publisher}, limit=5)
    posted = list(bot.fake.routes(f"POST /channels/{CHANNEL}/messages"))
    assert len(posted) == 1  # found back by its buttons: not sent again
    assert posted[0].body["allowed_mentions"] == {"parse": []}
    assert "New paper" in posted[0].body["content"]
    assert channel.id is not None
    assert {d.status for d in bot.paperboy.repository.list_deliveries(channel.id)} == {"sent"}


async def test_weekly_trends_and_personal_digests(bot: Bot) -> None:
    await bot.answered(await bot.command("interests", "add", {"text": "diffusion policy"}), 2)
    token = await bot.fake.interact(
        _papers_command("trends", [{"name": "weekly", "type": 3, "value": "mon 09:00"}]),
        manager=True,
    )
    await bot.answered(token, 2)
    channel = bot.paperboy.repository.ensure_channel(Platform.DISCORD, GUILD_ID, CHANNEL)
    assert channel.trends_schedule == "mon 09:00"
    bot.paperboy.repository.upsert_papers(parse(LISTING.read_bytes(), "auto"), NOW)
    await bot.paperboy.after_ingest()
    run = bot.paperboy.outbox.enqueue(
        Digest(channel=channel, day=NOW.date(), items=(), scanned=0, kind="trends")
    )
    await bot.paperboy.outbox.drain({Platform.DISCORD: bot.client.publisher}, limit=5)
    assert [(w, n) for w, n, _ in bot.fake.files] == [(CHANNEL, trends_filename(f"run-{run.id}"))]
    assert bot.paperboy.repository.get_run(run.id or 0).status == "sent"  # type: ignore[union-attr]
    # A personal digest goes to the person's DM channel.
    for text in ("interests add diffusion policy", "size 2", "digest now"):
        options = [{"name": "command", "type": 3, "value": text}]
        bodies = await bot.answered(await bot.fake.interact(_papers_command("me", options)))
        assert all(b.get("data", b).get("flags", 64) & 64 for b in bodies[1:])
    dm = await wait_until(lambda: bot.fake.dms.get(USER))
    opened = bot.fake.routes("POST /users/@me/channels")[0].body
    assert str(opened["recipient_id"]) == USER
    assert len(await wait_until(lambda: bot.fake.messages.get(dm))) >= 1
    # A 👍 pressed under a paper in the DM teaches the person's own profile.
    message = next(m for m in bot.fake.messages[dm] if m.get("components"))
    more = next(
        c["custom_id"]
        for row in message["components"]
        for c in row["components"]
        if c.get("custom_id", "").startswith("paperboy:more:")
    )
    token = await bot.fake.interact(
        {"custom_id": more, "component_type": 2}, kind=3, channel=dm, message=message
    )
    await wait_until(lambda: bot.fake.for_token(token))
    personal = bot.paperboy.repository.ensure_channel(Platform.DISCORD, GUILD_ID, f"user:{USER}")
    assert personal.id is not None
    votes = bot.paperboy.repository.list_feedback(personal.id)
    assert [(v.user_id, v.value) for v in votes] == [(USER, 1)]
