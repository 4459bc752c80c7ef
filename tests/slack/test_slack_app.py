"""The real slack-bolt app, signed HTTP requests in, the fake Slack Web API out."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qs, urlparse

from bot.commands import COMMANDS
from bot.slack_app.render import LIMITS
from digest.compose import Digest
from digest.errors import DeliveryRefused
from digest.models import DigestItem, Interest, InterestKind, Paper, Platform
from digest.ports import QUIET_DIGEST_ARRIVED
from tests.slack.conftest import NOW, PACE, HarnessFactory, SlackHarness, sign

HOSTILE = Paper(
    id="2606.00001",
    arxiv_id="2606.00001",
    title="<!channel> hello <@U123> *bold* _it_",
    abstract="A <script> & <!here> abstract about diffusion policy for robots. " * 3,
    abs_url="https://arxiv.org/abs/2606.00001",
    authors=("Mallory <@U999>",),
)


def interests(h: SlackHarness, channel: str = "C1") -> list[str]:
    record = h.paperboy.repository.ensure_channel(Platform.SLACK, "T1", channel)
    assert record.id is not None
    return [i.text for i in h.paperboy.repository.list_interests(record.id)]


def check_limits(blocks: list[dict[str, Any]], text: str) -> None:
    assert 0 < len(blocks) <= LIMITS.blocks
    assert text
    total = 0
    for block in blocks:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= LIMITS.header_text
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= LIMITS.section_text
            total += len(block["text"]["text"])
        for element in block.get("elements", []):
            if element.get("type") == "button":
                assert len(element["value"]) <= LIMITS.button_value
    assert total + len(text) < 13_000


async def test_forged_and_stale_requests_are_refused(slack: HarnessFactory) -> None:
    h = await slack()
    forged = await h.command("interests add rl", signature="v0=" + "0" * 64)
    assert forged.status_code == 401
    stale = int(time.time()) - 6 * 60
    old = await h.command("interests add rl", timestamp=stale)
    assert old.status_code == 401
    body = b"command=%2Fpapers&text=x"
    wrong_secret = await h.post(
        body,
        "application/x-www-form-urlencoded",
        signature=sign(body, int(time.time()), "not-the-secret"),
    )
    assert wrong_secret.status_code == 401
    assert interests(h) == [] and h.fake.responses == []


async def test_command_is_acked_then_answered_through_response_url(slack: HarnessFactory) -> None:
    h = await slack()
    response = await h.command('interests add "diffusion policy" --weight 2')
    assert response.status_code == 200
    (reply,) = await h.until(lambda: h.fake.responses)
    assert reply["response_type"] == "in_channel"
    assert "diffusion policy" in reply["text"]
    assert interests(h) == ['"diffusion policy"']


async def test_every_command_gets_an_answer(slack: HarnessFactory) -> None:
    h = await slack()
    examples = {
        "interests add": "interests add rl",
        "interests remove": "interests remove rl",
        "follow": 'follow author:"Ada Lovelace"',
        "category": "category cs.LG",
        "schedule": "schedule 08:30 Europe/Berlin weekdays",
        "size": "size 5",
        "search": "search rl",
        "summary": "summary 2606.00001",
    }
    h.paperboy.repository.upsert_papers([HOSTILE], NOW)
    for spec in COMMANDS:
        if spec.name == "settings":
            continue  # opens a modal; tested below
        before = len(h.fake.responses)
        assert (await h.command(examples.get(spec.name, spec.name))).status_code == 200
        await h.until(lambda before=before: len(h.fake.responses) > before)
        check_limits(h.fake.responses[-1]["blocks"], h.fake.responses[-1]["text"])
    before = len(h.fake.responses)
    unknown = await h.command("frobnicate")
    assert unknown.status_code == 200
    await h.until(lambda: len(h.fake.responses) > before)  # its own answer, not the last one's
    reply = h.fake.responses[-1]
    assert reply["response_type"] == "ephemeral" and "unknown command" in reply["text"]


def _many_robot_papers() -> list[Paper]:
    """24 long, matching papers: more than one Slack message holds."""
    words = (
        "grasp",
        "walker",
        "drone",
        "kitchen",
        "cloth",
        "valve",
        "legged",
        "arm",
        "peg",
        "door",
        "sim2real",
        "tactile",
        "bimanual",
        "mobile",
        "pouring",
        "stacking",
    )
    return [
        Paper(
            id=f"2606.{n:05d}",
            arxiv_id=f"2606.{n:05d}",
            title=f"Diffusion policy for {words[n % 16]} robots, study {n}",
            abstract=" ".join(f"{words[(n * k) % 16]}{n}x{k}" for k in range(400))
            + " diffusion policy robots.",
            abs_url=f"https://arxiv.org/abs/2606.{n:05d}",
        )
        for n in range(2, 26)
    ]


async def test_a_channels_messages_are_paced_below_slacks_limit(slack: HarnessFactory) -> None:
    h = await slack()
    h.fake.per_channel_interval = PACE * 0.6  # Slack's limit, scaled like the harness's pace
    h.paperboy.repository.upsert_papers(_many_robot_papers(), NOW)
    await h.command("size 25")
    await h.command("threads on")
    await h.command("interests add diffusion policy robots")
    await h.command("digest now")
    await h.until(lambda: any("Posted a digest" in r["text"] for r in h.fake.responses))
    posted = h.fake.history["C1"]
    assert len(posted) >= 3  # a line in the channel, then the digest in several messages
    assert h.fake.rate_limited == 0  # paced, never refused
    assert len(h.fake.called("chat.postMessage")) == len(posted)


async def test_digest_now_posts_escaped_blocks_within_limits(slack: HarnessFactory) -> None:
    h = await slack()
    many = _many_robot_papers()
    h.paperboy.repository.upsert_papers([HOSTILE, *many], NOW)
    await h.command("size 25")
    await h.command("interests add diffusion policy robots")
    await h.command("digest now")
    posts = await h.until(lambda: h.fake.called("chat.postMessage"))
    await h.until(lambda: any("Posted a digest" in r["text"] for r in h.fake.responses))
    posts = h.fake.called("chat.postMessage")
    assert len(posts) >= 2  # 25 papers do not fit in one message's 50 blocks
    first_ts = h.fake.history["C1"][0]["ts"]
    assert posts[0].params.get("thread_ts") is None  # the digest starts in the channel
    assert all(p.params["thread_ts"] == first_ts for p in posts[1:])  # and continues in a thread
    assert all(p.token == "xoxb-single" for p in posts)
    for post in posts:
        check_limits(post.params["blocks"], post.params["text"])
        assert post.params["metadata"]["event_type"] == "paperboy_digest"
        serialised = json.dumps(post.params)
        assert "<!channel>" not in serialised and "<!here>" not in serialised
        assert "<@U123>" not in serialised and "<@U999>" not in serialised
    first = json.dumps(posts[0].params["blocks"])
    assert "&lt;!channel&gt; hello &lt;@U123&gt;" in first


async def test_429_is_retried_after_retry_after_and_posted_once(slack: HarnessFactory) -> None:
    h = await slack()
    h.paperboy.repository.upsert_papers([HOSTILE], NOW)
    await h.command("interests add diffusion policy")
    h.fake.fail("chat.postMessage", status=429, headers={"Retry-After": "1"})
    await h.command("digest now")
    await h.until(lambda: any("Posted a digest" in r["text"] for r in h.fake.responses))
    assert len(h.fake.called("chat.postMessage")) == 2  # the 429, then the retry
    assert len(h.fake.history["C1"]) == 1  # one message in the channel
    # The delivery log (the web panel's) tells the 429 and how long it was waited out.
    channel = h.paperboy.repository.ensure_channel(Platform.SLACK, "T1", "C1")
    run = h.paperboy.repository.last_run(channel.id or 0)
    assert run is not None and run.id is not None
    events = h.paperboy.repository.list_run_events([run.id])
    assert [e.kind for e in events] == ["rate_limited", "sent"]
    assert events[0].waited >= 1 and events[0].detail == "Slack 429 on chat.postMessage"


async def test_5xx_is_retried_with_backoff(slack: HarnessFactory) -> None:
    h = await slack()
    h.paperboy.repository.upsert_papers([HOSTILE], NOW)
    await h.command("interests add diffusion policy")
    h.fake.fail("chat.postMessage", status=503, error="service_unavailable")
    await h.command("digest now")
    await h.until(lambda: any("Posted a digest" in r["text"] for r in h.fake.responses))
    assert len(h.fake.called("chat.postMessage")) == 2
    assert len(h.fake.history["C1"]) == 1


async def test_a_removed_bot_pauses_the_channel_with_the_reason(slack: HarnessFactory) -> None:
    h = await slack()
    h.paperboy.repository.upsert_papers([HOSTILE], NOW)
    await h.command("interests add diffusion policy")
    h.fake.fail("chat.postMessage", error="not_in_channel")
    await h.command("digest now")
    await h.until(
        lambda: any(
            "could not be posted here (Slack: not_in_channel)" in r["text"]
            for r in h.fake.responses
        )
    )
    channel = h.paperboy.repository.ensure_channel(Platform.SLACK, "T1", "C1")
    assert channel.paused and channel.paused_reason == "Slack: not_in_channel"
    assert len(h.fake.called("chat.postMessage")) == 1  # no endless retries
    await h.command("status")
    status = await h.until(lambda: [r for r in h.fake.responses if "status" in r["text"]])
    assert "Slack: not_in_channel" in json.dumps(status[-1]["blocks"])


def _action_payload(
    h: SlackHarness, action_id: str, value: str, message: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "team": {"id": "T1", "domain": "test"},
        "user": {"id": "U1", "team_id": "T1"},
        "api_app_id": "A1",
        "token": "legacy",
        "trigger_id": "trigger-2",
        "channel": {"id": "C1", "name": "papers"},
        "container": {
            "type": "message",
            "message_ts": (message or {}).get("ts", "1.0"),
            "channel_id": "C1",
        },
        "message": message or {"ts": "1.0", "text": "digest", "blocks": []},
        "response_url": h.fake.response_url("action"),
        "actions": [
            {
                "action_id": action_id,
                "value": value,
                "type": "button",
                "block_id": f"paper:{value}",
                "action_ts": "1.1",
            }
        ],
    }


async def test_vote_buttons_record_feedback_and_update_the_message(slack: HarnessFactory) -> None:
    h = await slack()
    h.paperboy.repository.upsert_papers([HOSTILE], NOW)
    await h.command("interests add diffusion policy")
    await h.command("digest now")
    (post,) = await h.until(lambda: h.fake.called("chat.postMessage"))
    message = {
        "ts": "1700000001.000100",
        "text": post.params["text"],
        "blocks": post.params["blocks"],
    }
    response = await h.interact(_action_payload(h, "paperboy_more", HOSTILE.key, message))
    assert response.status_code == 200
    (update,) = await h.until(lambda: h.fake.called("chat.update"))
    assert update.params["ts"] == "1700000001.000100"
    assert "👍 1 · 👎 0" in json.dumps(update.params["blocks"], ensure_ascii=False)
    channel = h.paperboy.repository.ensure_channel(Platform.SLACK, "T1", "C1")
    assert channel.id is not None
    votes = h.paperboy.repository.list_feedback(channel.id)
    assert [(v.paper_key, v.user_id, v.value) for v in votes] == [(HOSTILE.key, "U1", 1)]
    await h.interact(_action_payload(h, "paperboy_less", HOSTILE.key, message))
    await h.until(lambda: len(h.fake.called("chat.update")) == 2)
    assert [v.value for v in h.paperboy.repository.list_feedback(channel.id)] == [-1]


async def test_summarize_button_answers_the_presser(slack: HarnessFactory) -> None:
    h = await slack()
    h.paperboy.repository.upsert_papers([HOSTILE], NOW)
    await h.interact(_action_payload(h, "paperboy_summary", HOSTILE.key))
    (reply,) = await h.until(lambda: h.fake.responses)
    assert reply["response_type"] == "ephemeral" and reply["replace_original"] is False
    assert "&lt;!channel&gt;" in reply["text"]


async def test_interests_clear_asks_then_clears_on_confirm(slack: HarnessFactory) -> None:
    h = await slack()
    await h.command("interests add rl")
    await h.command("interests clear")
    ask = await h.until(lambda: [r for r in h.fake.responses if r["text"].startswith("Remove all")])
    button = ask[0]["blocks"][-1]["elements"][0]
    assert interests(h) == ["rl"]
    await h.interact(_action_payload(h, button["action_id"], button["value"]))
    await h.until(lambda: [r for r in h.fake.responses if "Removed all" in r["text"]])
    assert interests(h) == []


async def test_settings_modal_opens_validates_and_saves(slack: HarnessFactory) -> None:
    h = await slack()
    h.fake.admins.add("U1")
    await h.command("settings")
    (opened,) = await h.until(lambda: h.fake.called("views.open"))
    view = opened.params["view"]
    assert view["callback_id"] == "paperboy_settings"
    assert {b["block_id"] for b in view["blocks"]} >= {
        "time",
        "timezone",
        "days",
        "size",
        "min_score",
        "flags",
        "restrict",
    }
    flags = next(b for b in view["blocks"] if b["block_id"] == "flags")["element"]
    ticked = {o["value"] for o in flags["initial_options"]}
    assert ticked == {"quiet", "boost_upvotes", "boost_recency", "boost_code"}  # the defaults

    def submission(timezone: str, size: str) -> dict[str, Any]:
        values = {
            "time": {"value": {"type": "timepicker", "selected_time": "07:45"}},
            "timezone": {"value": {"type": "plain_text_input", "value": timezone}},
            "days": {
                "value": {
                    "type": "checkboxes",
                    "selected_options": [{"value": "mon"}, {"value": "wed"}],
                }
            },
            "size": {"value": {"type": "number_input", "value": size}},
            "min_score": {"value": {"type": "number_input", "value": "0.4"}},
            "flags": {
                "value": {
                    "type": "checkboxes",
                    "selected_options": [
                        {"value": "quiet"},
                        {"value": "thread"},
                        {"value": "single"},
                        {"value": "boost_recency"},
                    ],
                }
            },
            "restrict": {
                "value": {"type": "checkboxes", "selected_options": [{"value": "restrict"}]}
            },
        }
        return {
            "type": "view_submission",
            "team": {"id": "T1"},
            "user": {"id": "U1"},
            "api_app_id": "A1",
            "token": "legacy",
            "view": {**view, "id": "V1", "state": {"values": values}},
        }

    bad = await h.interact(submission("Mars/Olympus", "99"))
    assert bad.status_code == 200
    errors = bad.json()
    assert errors["response_action"] == "errors"
    assert set(errors["errors"]) == {"timezone", "size"}
    before = h.paperboy.repository.ensure_channel(Platform.SLACK, "T1", "C1")
    assert before.schedule.time == "09:00"
    good = await h.interact(submission("Asia/Tokyo", "4"))
    assert good.status_code == 200 and not good.content
    after = h.paperboy.repository.ensure_channel(Platform.SLACK, "T1", "C1")
    assert (after.schedule.time, after.schedule.timezone, after.schedule.days) == (
        "07:45",
        "Asia/Tokyo",
        ("mon", "wed"),
    )
    assert (after.digest_size, after.min_score, after.quiet_day_message) == (4, 0.4, True)
    assert (after.delivery_mode, after.layout) == ("thread", "single")
    boosts = (after.boost_upvotes, after.boost_recency, after.boost_code)
    assert boosts == (False, True, False)  # unticked boosts are switched off
    assert h.paperboy.repository.ensure_workspace(Platform.SLACK, "T1").restrict_settings


async def test_restricted_workspace_needs_an_admin(slack: HarnessFactory) -> None:
    h = await slack()
    workspace = h.paperboy.repository.ensure_workspace(Platform.SLACK, "T1")
    import dataclasses

    h.paperboy.repository.save_workspace(dataclasses.replace(workspace, restrict_settings=True))
    await h.command("interests add rl", user="U2")
    refused = await h.until(lambda: h.fake.responses)
    assert "only channel managers" in refused[0]["text"] and interests(h) == []
    h.fake.admins.add("U3")
    await h.command("interests add rl", user="U3")
    await h.until(lambda: interests(h) == ["rl"])


async def test_oauth_install_stores_the_workspace_token(slack: HarnessFactory) -> None:
    h = await slack(oauth=True)
    install = await h.http.get(f"{h.url}/slack/install", follow_redirects=False)
    assert install.status_code in (200, 302)
    link = install.headers.get("Location") or install.text
    start = link.find("https://slack.com/oauth")
    state = parse_qs(urlparse(link[start:].split('"')[0]).query)["state"][0]
    # The state cookie is marked Secure (Slack installs over https): send it back by hand.
    cookie = install.headers["Set-Cookie"].split(";")[0]
    callback = await h.http.get(
        f"{h.url}/slack/oauth_redirect",
        params={"code": "abc", "state": state},
        headers={"Cookie": cookie},
    )
    assert callback.status_code == 200, callback.text
    (exchange,) = h.fake.called("oauth.v2.access")
    assert exchange.params["code"] == "abc"
    client = await h.side.publisher._client_for("T2")
    assert client.token == "xoxb-installed-abc"
    channel = h.paperboy.repository.ensure_channel(Platform.SLACK, "T2", "C9")
    assert channel.id is not None
    h.paperboy.repository.add_interest(
        channel.id, Interest(kind=InterestKind.QUERY, text="diffusion policy")
    )
    h.paperboy.repository.upsert_papers([HOSTILE], NOW)
    digest = h.paperboy.digests.compose(channel)
    await h.paperboy.outbox.deliver(digest, h.side.publisher)
    (post,) = h.fake.called("chat.postMessage")
    assert post.token == "xoxb-installed-abc" and post.params["channel"] == "C9"

    # Uninstalling revokes the tokens: the installation is forgotten.
    event = {
        "token": "legacy",
        "team_id": "T2",
        "api_app_id": "A1",
        "type": "event_callback",
        "event_id": "Ev1",
        "event_time": 1,
        "authorizations": [{"team_id": "T2", "user_id": "UBOT", "is_bot": True}],
        "event": {"type": "app_uninstalled"},
    }
    response = await h.post(json.dumps(event).encode(), "application/json")
    assert response.status_code == 200

    async def forgotten() -> bool:
        try:
            await h.side.publisher._client_for("T2")
        except DeliveryRefused:
            return True
        return False

    await h.until_async(forgotten)


async def test_summary_is_ephemeral_with_a_share_button(slack: HarnessFactory) -> None:
    h = await slack()
    h.paperboy.repository.upsert_papers([HOSTILE], NOW)
    await h.command("summary https://arxiv.org/abs/2606.00001v1")
    (reply,) = await h.until(lambda: h.fake.responses)
    assert reply["response_type"] == "ephemeral"
    assert "TL;DR" in json.dumps(reply["blocks"])
    share = reply["blocks"][-1]["elements"][0]
    assert share["action_id"] == "paperboy_share"
    await h.interact(_action_payload(h, share["action_id"], share["value"]))
    shared = await h.until(
        lambda: [r for r in h.fake.responses if r.get("response_type") == "in_channel"]
    )
    assert "shared by" in shared[0]["text"]
    assert "<!channel>" not in json.dumps(shared[0])
    await h.command("summary http://169.254.169.254/latest")
    refused = await h.until(lambda: [r for r in h.fake.responses if "IP addresses" in r["text"]])
    assert refused[0]["response_type"] == "ephemeral"


def _reaction(kind: str, emoji: str, ts: str, *, user: str = "U2") -> dict[str, Any]:
    return {
        "type": kind,
        "user": user,
        "reaction": emoji,
        "item_user": "UBOT",
        "item": {"type": "message", "channel": "C1", "ts": ts},
        "event_ts": "1700000099.000200",
    }


async def test_a_reaction_on_a_papers_own_message_is_a_vote(slack: HarnessFactory) -> None:
    h = await slack()
    other = Paper(
        id="2606.00002",
        arxiv_id="2606.00002",
        title="Diffusion policy for kitchens",
        abstract="Diffusion policy for robots in kitchens.",
    )
    h.paperboy.repository.upsert_papers([HOSTILE, other], NOW)
    await h.command("interests add diffusion policy")
    await h.command("layout single")
    await h.until(lambda: any("one message per paper" in r["text"] for r in h.fake.responses))
    await h.command("digest now")
    await h.until(lambda: any("Posted a digest" in r["text"] for r in h.fake.responses))
    header, *papers = h.fake.history["C1"]
    assert header["metadata"]["event_payload"]["papers"] == []
    assert len(papers) == 2 and all(p["thread_ts"] == header["ts"] for p in papers)
    by_key = {p["metadata"]["event_payload"]["papers"][0]: p["ts"] for p in papers}
    assert set(by_key) == {HOSTILE.key, other.key}
    channel = h.paperboy.repository.ensure_channel(Platform.SLACK, "T1", "C1")
    assert channel.id is not None

    def votes() -> list[tuple[str, str, int]]:
        assert channel.id is not None
        feedback = h.paperboy.repository.list_feedback(channel.id)
        return sorted((f.paper_key, f.user_id, f.value) for f in feedback)

    response = await h.event(_reaction("reaction_added", "+1::skin-tone-3", by_key[other.key]))
    assert response.status_code == 200
    await h.until(lambda: votes() == [(other.key, "U2", 1)])
    await h.event(_reaction("reaction_added", "thumbsdown", by_key[HOSTILE.key], user="U3"))
    await h.until(lambda: len(votes()) == 2)
    assert votes() == sorted([(other.key, "U2", 1), (HOSTILE.key, "U3", -1)])
    await h.event(_reaction("reaction_removed", "+1::skin-tone-3", by_key[other.key]))
    await h.until(lambda: votes() == [(HOSTILE.key, "U3", -1)])
    # Other emoji and the header (no paper) are not votes; nobody is told anything.
    await h.event(_reaction("reaction_added", "tada", by_key[other.key]))
    await h.event(_reaction("reaction_added", "+1", header["ts"]))
    forged = json.dumps(
        {
            "type": "event_callback",
            "team_id": "T1",
            "event": _reaction("reaction_added", "+1", by_key[other.key], user="U9"),
        }
    ).encode()
    assert (await h.post(forged, "application/json", signature="v0=forged")).status_code == 401
    # A vote sent after them: once it is in, the events before it were handled too.
    await h.event(_reaction("reaction_added", "+1", by_key[other.key], user="U4"))
    await h.until(lambda: len(votes()) == 2)
    assert votes() == sorted([(HOSTILE.key, "U3", -1), (other.key, "U4", 1)])
    assert h.fake.called("chat.postEphemeral") == []


async def test_a_reaction_on_a_message_of_several_papers_explains_how_to_vote(
    slack: HarnessFactory,
) -> None:
    h = await slack()
    other = Paper(id="2606.00002", arxiv_id="2606.00002", title="Diffusion policy for kitchens")
    h.paperboy.repository.upsert_papers([HOSTILE, other], NOW)
    await h.command("interests add diffusion policy")
    await h.command("digest now")
    await h.until(lambda: any("Posted a digest" in r["text"] for r in h.fake.responses))
    (message,) = h.fake.history["C1"]
    assert len(message["metadata"]["event_payload"]["papers"]) == 2
    await h.event(_reaction("reaction_added", "+1", message["ts"]))
    (hint,) = await h.until(lambda: h.fake.called("chat.postEphemeral"))
    assert hint.params["user"] == "U2" and "several papers" in hint.params["text"]
    channel = h.paperboy.repository.ensure_channel(Platform.SLACK, "T1", "C1")
    assert channel.id is not None
    assert h.paperboy.repository.list_feedback(channel.id) == []


async def test_thread_mode_posts_the_digest_in_a_thread(slack: HarnessFactory) -> None:
    h = await slack()
    h.paperboy.repository.upsert_papers([HOSTILE], NOW)
    await h.command("interests add diffusion policy")
    await h.command("threads on")
    await h.until(lambda: any("new thread" in r["text"] for r in h.fake.responses))
    await h.command("digest now")
    await h.until(lambda: any("Posted a digest" in r["text"] for r in h.fake.responses))
    header, digest = h.fake.called("chat.postMessage")
    assert "papers in the thread" in header.params["text"] and "blocks" not in header.params
    assert digest.params["thread_ts"] == h.fake.history["C1"][0]["ts"]


async def test_find_sent_reads_what_arrived_back_from_the_messages_metadata(
    slack: HarnessFactory,
) -> None:
    h = await slack()
    channel = h.paperboy.repository.ensure_channel(Platform.SLACK, "T1", "C1")
    quiet = Digest(channel=channel, day=NOW.date(), items=(), scanned=12)
    publisher = h.side.publisher
    (quiet_message,) = await publisher.publish(quiet, "run-7")
    assert await publisher.find_sent(quiet, "run-7") == {QUIET_DIGEST_ARRIVED: quiet_message.id}
    assert await publisher.find_sent(quiet, "run-8") == {}
    digest = Digest(
        channel=channel,
        day=NOW.date(),
        items=(DigestItem(paper=HOSTILE, score=0.9, why="matches"),),
        scanned=1,
    )
    (message,) = await publisher.publish(digest, "run-9")
    assert message.papers == (HOSTILE.key,)
    assert await publisher.find_sent(digest, "run-9") == {HOSTILE.key: message.id}
