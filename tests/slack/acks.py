"""How long Slack waits for paperboy's acknowledgement: every slash command, button and modal
submission, through the real Bolt app over HTTP, timed from the request to its HTTP answer.

Slack shows the person "operation_timeout" when the answer takes over 3 s, whatever happens
afterwards. Shared by the test (tests/slack/test_ack_deadline.py) and `make bench`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from bot.commands import COMMANDS
from digest.parsers import parse
from tests.slack.conftest import COLD_SECONDS, NOW, SlackHarness

SAMPLE = Path(__file__).resolve().parents[2] / "bot" / "data" / "sample_listing.txt"
# An argument for each command that needs one; the others are sent by name.
EXAMPLES = {
    "interests add": "interests add mixture of experts",
    "interests remove": "interests remove mixture of experts",
    "follow": 'follow author:"Ada Lovelace"',
    "category": "category cs.LG",
    "schedule": "schedule 08:30 Europe/Berlin weekdays",
    "size": "size 5",
    "threshold": "threshold 0.2",
    "quiet": "quiet say",
    "threads": "threads off",
    "layout": "layout grouped",
    "boost": "boost code on",
    "search": "search diffusion",
    "summary": "summary diffusion policy",
    "why": "why diffusion policy",
    "interests weight": "interests weight 1 2",
}

Timings = dict[str, list[float]]


async def _timed(timings: Timings, name: str, send: Awaitable[httpx.Response]) -> httpx.Response:
    started = time.perf_counter()
    response = await send
    timings.setdefault(name, []).append(time.perf_counter() - started)
    assert response.status_code == 200, (name, response.status_code, response.text)
    return response


def _answered(h: SlackHarness, before: int) -> Callable[[], bool]:
    return lambda: len(h.fake.responses) > before


def _action(h: SlackHarness, action_id: str, value: str, message: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "team": {"id": "T1", "domain": "test"},
        "user": {"id": "U1", "team_id": "T1", "username": "ada"},
        "api_app_id": "A1",
        "token": "legacy",
        "trigger_id": "trigger-2",
        "channel": {"id": "C1", "name": "papers"},
        "container": {"type": "message", "message_ts": message["ts"], "channel_id": "C1"},
        "message": message,
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


async def measure_acks(h: SlackHarness) -> Timings:
    """One round: the first command with the embedder cold (and two more sent while it
    works), every other command, every button, the settings modal's submission. Each
    command's answer through response_url is awaited before the next, so all are checked
    to be answered, not only acknowledged."""
    h.paperboy.repository.upsert_papers(parse(SAMPLE.read_bytes(), today=NOW.date()), NOW)
    timings: Timings = {}

    # Cold: the first command ranks the recent papers, which starts the embedding worker.
    before = len(h.fake.responses)
    await _timed(timings, "interests add (cold)", h.command("interests add reinforcement learning"))
    await _timed(timings, "help (during cold start)", h.command("help"))
    await _timed(timings, "status (during cold start)", h.command("status"))
    await h.until(lambda: len(h.fake.responses) >= before + 3, COLD_SECONDS)

    for spec in COMMANDS:
        if spec.name == "settings":
            continue  # opens a modal, below
        before = len(h.fake.responses)
        await _timed(timings, spec.name, h.command(EXAMPLES.get(spec.name, spec.name)))
        await h.until(_answered(h, before))

    # Buttons under a posted digest.
    posts = h.fake.called("chat.postMessage")
    assert posts, "digest now posted nothing to vote on"
    post = posts[-1].params
    message = {"ts": "1700000001.000100", "text": post["text"], "blocks": post["blocks"]}
    key = post["metadata"]["event_payload"]["papers"][0]
    for action_id, name in (
        ("paperboy_more", "button: more like this"),
        ("paperboy_less", "button: less like this"),
    ):
        updates = len(h.fake.called("chat.update"))
        await _timed(timings, name, h.interact(_action(h, action_id, key, message)))
        await h.until(lambda updates=updates: len(h.fake.called("chat.update")) > updates)
    for action_id, name in (
        ("paperboy_summary", "button: summary"),
        ("paperboy_share", "button: share summary"),
    ):
        before = len(h.fake.responses)
        await _timed(timings, name, h.interact(_action(h, action_id, key, message)))
        await h.until(_answered(h, before))
    before = len(h.fake.responses)
    await h.command("interests clear")
    await h.until(_answered(h, before))
    ask = h.fake.responses[-1]["blocks"][-1]["elements"]
    for element, name in ((ask[0], "button: confirm"), (ask[1], "button: cancel")):
        before = len(h.fake.responses)
        await _timed(
            timings, name, h.interact(_action(h, element["action_id"], element["value"], message))
        )
        await h.until(_answered(h, before))

    # The settings modal: opened by the command, then submitted.
    opened = len(h.fake.called("views.open"))
    await _timed(timings, "settings", h.command("settings"))
    await h.until(lambda: len(h.fake.called("views.open")) > opened)
    view = h.fake.called("views.open")[-1].params["view"]
    values = {
        "time": {"value": {"type": "timepicker", "selected_time": "07:45"}},
        "timezone": {"value": {"type": "plain_text_input", "value": "UTC"}},
        "days": {"value": {"type": "checkboxes", "selected_options": [{"value": "mon"}]}},
        "size": {"value": {"type": "number_input", "value": "6"}},
        "min_score": {"value": {"type": "number_input", "value": "0.3"}},
        "flags": {"value": {"type": "checkboxes", "selected_options": []}},
        "restrict": {"value": {"type": "checkboxes", "selected_options": []}},
    }
    submission = {
        "type": "view_submission",
        "team": {"id": "T1"},
        "user": {"id": "U1"},
        "api_app_id": "A1",
        "token": "legacy",
        "view": {**view, "id": "V1", "state": {"values": values}},
    }
    await _timed(timings, "modal: settings submitted", h.interact(submission))
    return timings


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile (q in 0..100): with few samples, p99 is the worst one."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


async def wait(check: Callable[[], Any], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.02)
