"""Trends pictures (files upload v2), instant alerts and personal digests (DMs) on Slack:
the real slack-bolt app and slack_sdk client against the fake Slack Web API."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

from PIL import Image

from bot.charts import HEIGHT, WIDTH
from bot.slack_app.publisher import trends_filename
from digest.clock import FixedClock
from digest.compose import Digest
from digest.models import DigestItem, Paper, Platform
from digest.outbox import Outbox, Outcome
from digest.parsers import parse
from tests.slack.conftest import NOW, HarnessFactory, SlackHarness
from tests.slack.test_slack_app import _action_payload

LISTING = Path(__file__).resolve().parents[1] / "fixtures" / "trends_listing.jsonl"
BY_LECUN = Paper(
    id="2606.09999",
    arxiv_id="2606.09999",
    title="<!channel> Energy-based models @everyone <@U123>",
    abstract="A world model.",
    abs_url="https://arxiv.org/abs/2606.09999",
    authors=("Yann Lecún",),
)


def _png_size(content: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(content)) as image:
        assert image.format == "PNG"
        return image.size


async def _with_listing(h: SlackHarness) -> None:
    h.paperboy.repository.upsert_papers(parse(LISTING.read_bytes(), "auto"), NOW)
    await h.paperboy.after_ingest()


async def test_trends_command_posts_the_picture_as_a_file(slack: HarnessFactory) -> None:
    h = await slack()
    await h.command("interests add diffusion policy")
    await h.until(lambda: h.fake.responses)
    await _with_listing(h)
    await h.command("trends 6")
    (complete,) = await h.until(lambda: h.fake.called("files.completeUploadExternal"))
    (asked,) = h.fake.called("files.getUploadURLExternal")
    (file_id,) = h.fake.files
    stored = h.fake.files[file_id]
    assert int(asked.params["length"]) == len(stored["content"])
    assert complete.params["channel_id"] == "C1"
    assert json.loads(complete.params["files"])[0]["id"] == file_id
    assert _png_size(stored["content"]) == (WIDTH, HEIGHT)
    reply = next(r for r in h.fake.responses if r["text"].startswith("Trends of the last 6"))
    assert "diffusion policy:" in json.dumps(reply["blocks"])
    assert h.fake.history["C1"][-1]["files"][0]["id"] == file_id
    # Bad input: a clear error, nothing uploaded.
    await h.command("trends 0")
    await h.until(lambda: any("number of weeks" in r["text"] for r in h.fake.responses))
    assert len(h.fake.files) == 1


async def test_weekly_trends_go_through_the_outbox_exactly_once(slack: HarnessFactory) -> None:
    h = await slack()
    await h.command("interests add diffusion policy")
    await h.command("trends weekly mon 09:00")
    await h.until(lambda: any("every Mon at 09:00" in r["text"] for r in h.fake.responses))
    await _with_listing(h)
    channel = h.paperboy.repository.ensure_channel(Platform.SLACK, "T1", "C1")
    assert channel.trends_schedule == "mon 09:00"
    run = h.paperboy.outbox.enqueue(
        Digest(channel=channel, day=NOW.date(), items=(), scanned=0, kind="trends")
    )
    # A sender claims it, uploads the picture, and dies before settling it.
    clock = h.paperboy.clock
    assert isinstance(clock, FixedClock)
    dead = Outbox(h.paperboy.repository, clock, owner="dead", lease=timedelta(seconds=30))
    (claimed,) = h.paperboy.repository.claim_runs(
        "dead", now=clock.now(), lease=timedelta(seconds=30), limit=5
    )
    assert claimed.id == run.id and dead.owner == "dead"
    trends = h.paperboy.trends.build(channel, at=claimed.started_at)
    await h.side.publisher.post_trends(channel, trends, f"run-{run.id}")
    clock.advance(timedelta(minutes=1))  # its lease runs out
    results = []
    outbox = Outbox(
        h.paperboy.repository,
        clock,
        owner="alive",
        on_result=results.append,
        trends_for=lambda c, at: h.paperboy.trends.build(c, at=at),
    )
    await outbox.drain({Platform.SLACK: h.side.publisher}, limit=5)
    assert [r.outcome for r in results] == [Outcome.SENT]
    assert len(h.fake.called("files.completeUploadExternal")) == 1  # never posted twice
    assert h.paperboy.repository.get_run(run.id or 0).status == "sent"  # type: ignore[union-attr]
    names = [f["filename"] for f in h.fake.files.values()]
    assert names == [trends_filename(f"run-{run.id}")]


async def test_instant_alert_is_posted_once_through_a_crash(slack: HarnessFactory) -> None:
    h = await slack()
    await h.command('follow author:"LeCun, Y." --instant')
    await h.until(lambda: any("Instant:" in r["text"] for r in h.fake.responses))
    clock = h.paperboy.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(minutes=5))
    h.paperboy.repository.upsert_papers([BY_LECUN], clock.now())
    assert await h.paperboy.after_ingest() == 1
    channel = h.paperboy.repository.ensure_channel(Platform.SLACK, "T1", "C1")
    (claimed,) = h.paperboy.repository.claim_runs(
        "dead", now=clock.now(), lease=timedelta(seconds=30), limit=5
    )
    assert claimed.kind == "alert"
    # The dead sender had posted the alert, tagged with its run.
    alert = Digest(
        channel=channel,
        day=NOW.date(),
        items=(DigestItem(paper=BY_LECUN, score=1.0, why=claimed.items[0].why),),
        scanned=1,
        kind="alert",
    )
    await h.side.publisher.publish(alert, f"run-{claimed.id}")
    clock.advance(timedelta(minutes=1))
    await h.paperboy.outbox.drain({Platform.SLACK: h.side.publisher}, limit=5)
    posts = h.fake.called("chat.postMessage")
    assert len(posts) == 1  # reconciled from the message metadata: not sent again
    text = json.dumps(posts[0].params["blocks"]) + posts[0].params["text"]
    assert "<!channel>" not in text and "<@U123>" not in text and "@everyone" in text
    assert posts[0].params["metadata"]["event_payload"]["papers"] == [BY_LECUN.key]
    assert channel.id is not None
    assert {d.status for d in h.paperboy.repository.list_deliveries(channel.id)} == {"sent"}
    # The alerted paper is not repeated in the next digest.
    assert BY_LECUN.key not in {i.paper.key for i in h.paperboy.digests.compose(channel).items}


async def test_personal_digest_arrives_by_direct_message(slack: HarnessFactory) -> None:
    h = await slack()
    h.paperboy.repository.upsert_papers(parse(LISTING.read_bytes(), "auto"), NOW)
    await h.command("me interests add diffusion policy", user="U7")
    await h.command("me size 1", user="U7")
    await h.until(lambda: len(h.fake.responses) == 2)
    assert all(r["response_type"] == "ephemeral" for r in h.fake.responses)
    await h.command("me digest now", user="U7")
    await h.until(lambda: any("Posted a digest" in r["text"] for r in h.fake.responses))
    (opened,) = h.fake.called("conversations.open")
    assert opened.params["users"] == "U7"
    dm = h.fake.dms["U7"]
    posts = h.fake.called("chat.postMessage")
    assert posts and all(p.params["channel"] == dm for p in posts)
    assert "C1" not in h.fake.history
    # A vote in the DM teaches the person's own profile.
    key = posts[0].params["metadata"]["event_payload"]["papers"][0]
    payload = _action_payload(h, "paperboy_more", key, {"ts": "1.0", "text": "d", "blocks": []})
    payload["channel"] = {"id": dm, "name": "directmessage"}
    payload["user"] = {"id": "U7", "team_id": "T1"}
    await h.interact(payload)
    mine = h.paperboy.repository.ensure_channel(Platform.SLACK, "T1", "user:U7")
    assert mine.id is not None
    await h.until(lambda: h.paperboy.repository.list_feedback(mine.id or 0))
    assert [v.value for v in h.paperboy.repository.list_feedback(mine.id)] == [1]
    # A 👎 reaction on a one-paper DM message counts for the person's profile too.
    single = next(
        m for m in h.fake.history[dm] if len(m["metadata"]["event_payload"]["papers"]) == 1
    )
    (voted,) = single["metadata"]["event_payload"]["papers"]
    await h.event(
        {
            "type": "reaction_added",
            "user": "U7",
            "reaction": "-1",
            "item": {"type": "message", "channel": dm, "ts": single["ts"]},
        }
    )
    await h.until(
        lambda: any(
            v.paper_key == voted and v.value == -1
            for v in h.paperboy.repository.list_feedback(mine.id or 0)
        )
    )
