"""Discord rendering (pure): any digest, either layout, stays within Discord's limits."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.discord_app.render import LIMITS, render_digest
from digest.compose import Digest
from digest.models import Channel, DigestItem, Paper, Platform

_TEXT = st.text(max_size=3000)


def _chars(embed: dict[str, object]) -> int:
    fields = embed.get("fields") or []
    footer = embed.get("footer") or {}
    return (
        len(str(embed.get("title", "")))
        + len(str(embed.get("description", "")))
        + sum(len(f["name"]) + len(f["value"]) for f in fields)  # type: ignore[attr-defined]
        + len(footer.get("text", ""))  # type: ignore[attr-defined]
    )


@settings(max_examples=60, deadline=None)
@given(
    titles=st.lists(_TEXT, min_size=1, max_size=25),
    abstract=_TEXT,
    why=_TEXT,
    layout=st.sampled_from(("grouped", "single")),
)
def test_any_digest_fits_discord_limits(
    titles: list[str], abstract: str, why: str, layout: str
) -> None:
    channel = Channel(
        platform=Platform.DISCORD, workspace_id="G", channel_id="1", name="papers", layout=layout
    )
    items = tuple(
        DigestItem(
            paper=Paper(uid=f"k{n}", title=t or "x", abstract=abstract, authors=(t,) * 20),
            score=1.0,
            why=why,
        )
        for n, t in enumerate(titles)
    )
    messages = render_digest(
        Digest(channel=channel, day=date(2026, 6, 12), items=items, scanned=len(items))
    )
    assert [k for m in messages for k in m.papers] == [i.paper.key for i in items]
    for message in messages:
        assert len(message.content) <= LIMITS.content
        assert len(message.embeds) <= LIMITS.embeds and len(message.rows) <= LIMITS.rows
        assert sum(_chars(e) for e in message.embeds) <= LIMITS.total
        assert len(message.rows) == len(message.papers)  # one row of buttons per paper
    if layout == "single":
        assert messages[0].papers == () and messages[0].content
        assert all(len(m.papers) == 1 for m in messages[1:])
    else:
        assert all(1 <= len(m.papers) <= LIMITS.papers_per_message for m in messages)


def test_recent_keeps_only_the_latest_entries() -> None:
    from bot.discord_app.client import Recent

    recent: Recent[str, int] = Recent(2)
    recent["a"], recent["b"] = 1, 2
    recent["a"] = 3  # set again: now the newest
    recent["c"] = 4
    assert len(recent) == 2
    assert recent.pop("b") is None  # the oldest went
    assert (recent.pop("a"), recent.pop("c"), len(recent)) == (3, 4, 0)
