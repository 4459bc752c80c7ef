"""The manifest matches the code; rendering holds Slack's limits for any content."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.slack_app.app import BOT_EVENTS, BOT_SCOPES
from bot.slack_app.render import LIMITS, escape, render_digest, render_reply
from digest.compose import Digest, Reply
from digest.models import Channel, DigestItem, Paper, Platform

ROOT = Path(__file__).resolve().parents[2]
CHANNEL = Channel(platform=Platform.SLACK, workspace_id="T1", channel_id="C1", name="papers", id=1)


def test_manifest_declares_what_the_code_uses() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/papers"]
    assert manifest["oauth_config"]["scopes"]["bot"] == BOT_SCOPES
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert events == BOT_EVENTS


def test_escape_defuses_mentions_and_formatting() -> None:
    assert escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"
    assert escape("*bold*") == "*\u200bbold*\u200b"
    assert escape("not_in_channel f(x)=y*z") == "not_in_channel f(x)=y*z"


_TEXT = st.text(max_size=5000)


@settings(max_examples=60, deadline=None)
@given(
    titles=st.lists(_TEXT, min_size=0, max_size=25),
    abstract=_TEXT,
    why=_TEXT,
    layout=st.sampled_from(("grouped", "single")),
)
def test_any_digest_fits_slack_limits(
    titles: list[str], abstract: str, why: str, layout: str
) -> None:
    items = tuple(
        DigestItem(
            paper=Paper(
                uid=f"k{n}" * 300,
                title=t or "x",
                abstract=abstract,
                abs_url=f"https://arxiv.org/abs/{n}",
                authors=(t,) * 30,
            ),
            score=1.0,
            why=why,
        )
        for n, t in enumerate(titles)
    )
    channel = dataclasses.replace(CHANNEL, layout=layout)
    digest = Digest(channel=channel, day=date(2026, 6, 12), items=items, scanned=len(items))
    messages = render_digest(digest)
    # Every paper is in exactly one message; in the single layout, each in its own.
    assert [k for m in messages for k in m.papers] == [i.paper.key for i in items]
    if layout == "single" and items:
        assert messages[0].papers == () and all(len(m.papers) == 1 for m in messages[1:])
    shown = 0
    for message in messages:
        assert len(message.blocks) <= LIMITS.blocks
        assert message.text and len(message.text) <= LIMITS.fallback_text
        for block in message.blocks:
            text = block.get("text", {}).get("text", "")
            assert len(text) <= (
                LIMITS.header_text if block["type"] == "header" else LIMITS.section_text
            )
            assert len(block.get("block_id", "")) <= LIMITS.block_id
            for element in block.get("elements", []):
                assert len(element.get("value", "")) <= LIMITS.button_value
                assert len(element.get("text", "")) <= LIMITS.context_text
            shown += block["type"] == "actions"
        sections = sum(len(b.get("text", {}).get("text", "")) for b in message.blocks)
        assert sections + len(message.text) < 13_000
    assert shown == len(items)
    reply = render_reply(Reply(text=why or "x", lines=(abstract,) * 3, digest=digest))
    assert len(reply["blocks"]) <= LIMITS.blocks
