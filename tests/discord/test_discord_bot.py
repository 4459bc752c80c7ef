"""The real discord.py client, connected to the fake Discord's gateway and REST API."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.app import App, build_app
from bot.discord_app.client import PaperboyDiscord, build_discord_client
from bot.settings import Settings
from digest.clock import FixedClock
from digest.models import Paper, Platform
from digest.outbox import Outcome
from tests.fakes.discord import APP_ID, GUILD_ID, FakeDiscord, fake_discord
from tests.slack.conftest import WAIT_SECONDS, wait_until

NOW = datetime(2026, 6, 12, 7, 0, tzinfo=UTC)
CHANNEL = "700000000000000001"
FORBIDDEN = "700000000000000002"
HOSTILE = Paper(
    id="2606.00001",
    arxiv_id="2606.00001",
    uid="2606.00001",
    title="@everyone <@&123> **bold** diffusion policy",
    abstract="We propose a diffusion policy for robots. @here it reaches 90% success.",
    abs_url="https://arxiv.org/abs/2606.00001",
    upvotes=5,
)


@dataclass
class Bot:
    fake: FakeDiscord
    paperboy: App
    client: PaperboyDiscord

    async def command(
        self, *path_and_options: Any, manager: bool = True, channel: str = CHANNEL
    ) -> str:
        """``command("interests", "add", {"text": "rl"})`` as Discord would send it."""
        *names, options = (
            path_and_options if isinstance(path_and_options[-1], dict) else (*path_and_options, {})
        )
        leaf = [
            {"name": k, "type": 3 if isinstance(v, str) else 4, "value": v}
            for k, v in options.items()
        ]
        node: list[dict[str, Any]] = leaf
        for depth, name in enumerate(reversed(names)):
            kind = 1 if depth == 0 else 2
            node = [{"name": name, "type": kind, "options": node}]
        data = {"id": "100000000000000001", "name": "papers", "type": 1, "options": node}
        return await self.fake.interact(data, manager=manager, channel=channel)

    async def answered(
        self, token: str, followups: int = 1, seconds: float = WAIT_SECONDS
    ) -> list[dict[str, Any]]:
        """The callback and follow-ups the bot sent for one interaction, once ``followups``
        of them arrived (a public change sends two: a private "Done" and the announcement)."""

        def webhooks() -> list[Any]:
            return [s for s in self.fake.for_token(token) if s.route.startswith("POST /webhooks")]

        sent = await wait_until(
            lambda: (
                (found if len(found := webhooks()) >= followups else [])
                or [
                    s
                    for s in self.fake.for_token(token)
                    if s.route.endswith("/callback") and s.body.get("type") == 4
                ]
            ),
            seconds,
        )
        return [s.body for s in self.fake.for_token(token)] or [s.body for s in sent]


@asynccontextmanager
async def open_bot(tmp_path: Path, *, embedder: str = "none") -> AsyncIterator[Bot]:
    """The real client on the fake Discord; ``embedder="minilm"`` starts the model cold."""
    async with fake_discord() as fake:
        settings = Settings(
            _env_file=None,
            database_url=f"sqlite:///{tmp_path / 'd.db'}",
            embedder=embedder,
            full_text=False,
            discord_token=SecretStr("bot-token"),
            discord_application_id=APP_ID,
            discord_api_url=fake.api_url,
            hf_base_url=fake.base_url,
            arxiv_api_url=f"{fake.base_url}/arxiv",
        )
        async with build_app(settings, clock=FixedClock(NOW)) as paperboy:
            client = build_discord_client(settings, paperboy)
            await client.login("bot-token")
            task = asyncio.create_task(client.connect(reconnect=False))
            await asyncio.wait_for(client.wait_until_ready(), 20)
            try:
                yield Bot(fake=fake, paperboy=paperboy, client=client)
            finally:
                await client.close()
                task.cancel()


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Bot]:
    async with open_bot(tmp_path) as opened:
        yield opened


def interests(b: Bot) -> list[str]:
    channel = b.paperboy.repository.ensure_channel(Platform.DISCORD, GUILD_ID, CHANNEL)
    assert channel.id is not None
    return [i.text for i in b.paperboy.repository.list_interests(channel.id)]


async def test_connects_through_the_configured_gateway(bot: Bot) -> None:
    assert bot.fake.identified.is_set()
    assert bot.fake.routes("GET /users/@me")
    assert bot.fake.routes("GET /gateway/bot")  # the gateway URL came from the fake


async def test_command_is_deferred_then_followed_up(bot: Bot) -> None:
    token = await bot.command("interests", "add", {"text": "diffusion policy"})
    bodies = await bot.answered(token, followups=2)
    assert bodies[0]["type"] == 5  # deferred (thinking)
    assert bodies[1]["content"] == "✓ Done." and bodies[1]["flags"] == 64  # only to them
    assert "diffusion policy" in bodies[-1]["content"]  # and announced to the channel
    assert bodies[-1]["allowed_mentions"] == {"parse": []}
    assert interests(bot) == ["diffusion policy"]


def _all_paths(group: Any, prefix: str = "") -> set[str]:
    from discord import app_commands

    paths: set[str] = set()
    for command in group.commands:
        name = f"{prefix}{command.name}"
        if isinstance(command, app_commands.Group):
            paths |= _all_paths(command, f"{name} ")
        else:
            paths.add(name)
    return paths


def test_slack_and_discord_expose_the_same_commands(tmp_path: Path) -> None:
    from bot.commands import COMMANDS
    from bot.discord_app.commands import COMMAND_PATHS, build_papers_group

    group = build_papers_group(None)  # type: ignore[arg-type]
    assert _all_paths(group) == {spec.name for spec in COMMANDS} == set(COMMAND_PATHS)


async def test_every_subcommand_answers(bot: Bot) -> None:
    bot.paperboy.repository.upsert_papers([HOSTILE], NOW)
    calls: list[tuple[Any, ...]] = [
        ("help",),
        ("interests", "add", {"text": "diffusion policy"}),
        ("interests", "list"),
        ("interests", "remove", {"interest": "1"}),
        ("interests", "clear"),
        ("follow", {"author": "Ada Lovelace"}),
        ("category", {"category": "cs.RO"}),
        ("schedule", {"time": "08:30", "timezone": "Europe/Berlin", "days": "weekdays"}),
        ("size", {"papers": 5}),
        ("threshold", {"relevance": 0.4}),
        ("quiet", {"mode": "silent"}),
        ("layout", {"layout": "single"}),
        ("pause",),
        ("resume",),
        ("settings",),
        ("digest", "now"),
        ("preview",),
        ("search", {"query": "diffusion"}),
        ("summary", {"paper": "2606.00001"}),
        ("status",),
        ("why", {"paper": "2606.00001"}),
        ("interests", "add", {"text": "robots"}),
        ("interests", "weight", {"interest": "1", "weight": 2.5}),
    ]
    for call in calls:
        token = await bot.command(*call)
        bodies = await bot.answered(token)
        assert bodies[0]["type"] == 5, call  # deferred within the 3 s
        follow_up = bodies[-1]
        assert follow_up.get("allowed_mentions") == {"parse": []}, call
        assert len(follow_up.get("content") or "") <= 2000
    channel = bot.paperboy.repository.ensure_channel(Platform.DISCORD, GUILD_ID, CHANNEL)
    assert channel.schedule.timezone == "Europe/Berlin" and channel.digest_size == 5
    assert channel.min_score == 0.4 and not channel.quiet_day_message


async def test_the_panel_link_is_private_and_names_the_guild(bot: Bot) -> None:
    token = await bot.command("panel", manager=False)
    bodies = await bot.answered(token)
    reply = bodies[-1]
    assert reply["flags"] == 64  # only the person who asked sees it
    assert "/panel/open?t=" in reply["content"] or "/panel/open?t=" in json.dumps(reply)
    link = re.search(r"(http\S+/panel/open\?t=[\w.-]+)", json.dumps(reply))
    assert link
    grant = bot.paperboy.panel.open_link(link.group(1).split("t=", 1)[1], NOW)
    assert grant.platform == Platform.DISCORD and grant.workspace_id == GUILD_ID
    assert not grant.manager


async def test_changing_settings_needs_manage_permissions(bot: Bot) -> None:
    token = await bot.command("interests", "add", {"text": "rl"}, manager=False)
    (callback,) = await wait_until(lambda: [s.body for s in bot.fake.for_token(token)])
    assert callback["type"] == 4 and callback["data"]["flags"] == 64  # ephemeral
    assert "Manage Server" in callback["data"]["content"]
    assert interests(bot) == []
    reading = await bot.command("interests", "list", manager=False)
    assert (await bot.answered(reading))[0]["type"] == 5  # reading stays open


def _embed_chars(embed: dict[str, Any]) -> int:
    return (
        len(embed.get("title", ""))
        + len(embed.get("description", ""))
        + sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
        + len(embed.get("footer", {}).get("text", ""))
    )


async def test_digest_posts_embeds_within_limits_and_never_pings(bot: Bot) -> None:
    many = [
        Paper(
            id=f"2606.{n:05d}",
            arxiv_id=f"2606.{n:05d}",
            uid=f"2606.{n:05d}",
            title=f"Diffusion policy {n} " + "long title " * 40,
            abstract=f"Robots {n}. "
            + " ".join(f"w{n}x{k}" for k in range(900))
            + " diffusion policy.",
            abs_url=f"https://arxiv.org/abs/2606.{n:05d}",
        )
        for n in range(2, 13)
    ]
    bot.paperboy.repository.upsert_papers([HOSTILE, *many], NOW)
    await bot.answered(await bot.command("size", {"papers": 12}))
    await bot.answered(await bot.command("interests", "add", {"text": "diffusion policy"}))
    await bot.answered(await bot.command("digest", "now"))
    posts = [s.body for s in bot.fake.routes(f"POST /channels/{CHANNEL}/messages")]
    assert len(posts) >= 2
    for post in posts:
        assert post["allowed_mentions"] == {"parse": []}
        assert len(post["content"]) <= 2000 and len(post["embeds"]) <= 10
        assert sum(_embed_chars(e) for e in post["embeds"]) <= 6000
        for embed in post["embeds"]:
            assert len(embed["title"]) <= 256 and len(embed["description"]) <= 4096
            assert len(embed.get("fields", [])) <= 25
            assert all(len(f["value"]) <= 1024 for f in embed.get("fields", []))
        assert len(post["components"]) <= 5
        assert post["enforce_nonce"] is True and post["nonce"]
    assert "@everyone" in json.dumps(posts[0])  # shown as text, but allowed_mentions is empty


async def test_a_forbidden_channel_is_paused_with_its_reason(bot: Bot) -> None:
    bot.paperboy.repository.upsert_papers([HOSTILE], NOW)
    await bot.answered(
        await bot.command("interests", "add", {"text": "diffusion policy"}, channel=FORBIDDEN)
    )
    await bot.answered(await bot.command("digest", "now", channel=FORBIDDEN))
    channel = bot.paperboy.repository.ensure_channel(Platform.DISCORD, GUILD_ID, FORBIDDEN)
    assert channel.paused and channel.paused_reason is not None
    assert "Discord: missing access" in channel.paused_reason
    assert len(bot.fake.routes(f"POST /channels/{FORBIDDEN}/messages")) == 1  # no retry storm


async def test_a_429_is_retried_and_the_message_sent_once(bot: Bot) -> None:
    bot.paperboy.repository.upsert_papers([HOSTILE], NOW)
    await bot.answered(await bot.command("interests", "add", {"text": "diffusion policy"}))
    bot.fake.fail("messages", 429)
    await bot.answered(await bot.command("digest", "now"))
    await wait_until(lambda: bot.fake.messages.get(CHANNEL))
    assert len(bot.fake.routes(f"POST /channels/{CHANNEL}/messages")) == 2
    assert len(bot.fake.messages[CHANNEL]) == 1


async def test_buttons_vote_and_summarise(bot: Bot) -> None:
    bot.paperboy.repository.upsert_papers([HOSTILE], NOW)
    more = await bot.fake.interact(
        {"custom_id": f"paperboy:more:{HOSTILE.key}", "component_type": 2}, kind=3
    )
    (vote,) = await wait_until(lambda: [s.body for s in bot.fake.for_token(more)])
    assert vote["type"] == 4 and vote["data"]["flags"] == 64
    assert "Noted" in vote["data"]["content"]
    channel = bot.paperboy.repository.ensure_channel(Platform.DISCORD, GUILD_ID, CHANNEL)
    assert channel.id is not None
    assert [(f.paper_key, f.value) for f in bot.paperboy.repository.list_feedback(channel.id)] == [
        (HOSTILE.key, 1)
    ]
    summary = await bot.fake.interact(
        {"custom_id": f"paperboy:summary:{HOSTILE.key}", "component_type": 2}, kind=3
    )
    bodies = await bot.answered(summary)
    assert bodies[0]["type"] == 5
    assert "TL;DR" in bodies[-1]["content"]
    share_ids = [c["custom_id"] for row in bodies[-1]["components"] for c in row["components"]]
    assert share_ids == [f"paperboy:share:{HOSTILE.key}"]


async def test_command_sync_registers_the_group(bot: Bot) -> None:
    synced = await bot.client.tree.sync()
    assert [c.name for c in synced] == ["papers"]
    (put,) = bot.fake.routes(f"PUT /applications/{APP_ID}/commands")
    assert put.body[0]["name"] == "papers"


async def test_thread_mode_and_forum_posts(bot: Bot) -> None:
    from tests.fakes.discord import FORUM

    bot.paperboy.repository.upsert_papers([HOSTILE], NOW)
    await bot.answered(await bot.command("interests", "add", {"text": "diffusion policy"}))
    await bot.answered(await bot.command("threads", {"mode": "on"}))
    await bot.answered(await bot.command("digest", "now"))
    (created,) = bot.fake.routes(f"POST /channels/{CHANNEL}/threads")
    assert created.body["type"] == 11 and created.body["name"].startswith("Papers for")
    (thread_id,) = bot.fake.threads
    assert len(bot.fake.messages[thread_id]) == 1 and not bot.fake.messages.get(CHANNEL)

    await bot.answered(
        await bot.command("interests", "add", {"text": "diffusion policy"}, channel=FORUM)
    )
    await bot.answered(await bot.command("digest", "now", channel=FORUM))
    (post,) = bot.fake.routes(f"POST /channels/{FORUM}/threads")
    assert post.body["message"]["allowed_mentions"] == {"parse": []}
    assert post.body["message"]["embeds"][0]["title"].startswith("1. @everyone")


async def test_reactions_and_buttons_in_a_digest_thread_vote_for_its_channel(bot: Bot) -> None:
    from tests.fakes.discord import BOT_ID

    other = Paper(
        id="2606.00002",
        arxiv_id="2606.00002",
        uid="2606.00002",
        title="Diffusion policy for kitchens",
        abstract="A diffusion policy for kitchen robots.",
    )
    repository = bot.paperboy.repository
    repository.upsert_papers([HOSTILE, other], NOW)
    await bot.answered(await bot.command("interests", "add", {"text": "diffusion policy"}))
    await bot.answered(await bot.command("threads", {"mode": "on"}))
    await bot.answered(await bot.command("layout", {"layout": "single"}))
    await bot.answered(await bot.command("digest", "now"))
    (thread_id,) = bot.fake.threads
    header, *papers = bot.fake.messages[thread_id]
    assert header["embeds"] == [] and "react with 👍 or 👎" in header["content"]
    assert [len(m["embeds"]) for m in papers] == [1, 1]
    by_key = {m["components"][0]["components"][0]["custom_id"].split(":", 2)[2]: m for m in papers}
    assert set(by_key) == {HOSTILE.key, other.key}
    channel = repository.ensure_channel(Platform.DISCORD, GUILD_ID, CHANNEL)
    assert channel.id is not None

    def votes() -> list[tuple[str, str, int]]:
        assert channel.id is not None
        return sorted(
            (f.paper_key, f.user_id, f.value) for f in repository.list_feedback(channel.id)
        )

    ada, bea = "500000000000000002", "500000000000000003"
    await bot.fake.react(by_key[other.key], "👍🏽")
    await wait_until(lambda: votes() == [(other.key, ada, 1)])
    await bot.fake.react(by_key[other.key], "👍🏽", added=False)
    await wait_until(lambda: votes() == [])
    await bot.fake.react(by_key[other.key], "🎉")  # not a vote
    await bot.fake.react(header, "👍")  # no paper in it
    await bot.fake.react(by_key[other.key], "👍", user=BOT_ID)  # our own reaction
    await bot.fake.react(by_key[HOSTILE.key], "👎", user=bea)
    await wait_until(lambda: votes() == [(HOSTILE.key, bea, -1)])
    # A button pressed in the thread counts for the channel the digest was for.
    pressed = dict(by_key[other.key])
    token = await bot.fake.interact(
        {"custom_id": f"paperboy:more:{other.key}", "component_type": 2},
        kind=3,
        channel=thread_id,
        message=pressed,
    )
    await wait_until(lambda: bot.fake.for_token(token))
    await wait_until(lambda: len(votes()) == 2)
    assert votes() == sorted([(HOSTILE.key, bea, -1), (other.key, ada, 1)])
    assert [c.channel_id for c in repository.list_channels(Platform.DISCORD)] == [CHANNEL]


@pytest.mark.parametrize("threads", [False, True])
async def test_a_digest_cut_short_is_finished_later_without_repeats(
    bot: Bot, threads: bool
) -> None:
    """The second message of a digest fails; the retry comes after Discord forgot the nonces:
    what arrived is read back from the channel (or the digest's thread), the rest is sent."""
    from datetime import timedelta

    from tests.fakes.discord import BOT_ID

    papers = [
        Paper(
            id=f"2606.{n:05d}",
            arxiv_id=f"2606.{n:05d}",
            uid=f"2606.{n:05d}",
            title=f"Diffusion policy study {n}",
            abstract=f"A diffusion policy for robots, variant {n}.",
        )
        for n in range(1, 8)
    ]
    repository = bot.paperboy.repository
    repository.upsert_papers(papers, NOW)
    await bot.answered(await bot.command("interests", "add", {"text": "diffusion policy"}))
    if threads:
        await bot.answered(await bot.command("threads", {"mode": "on"}))
    channel = repository.ensure_channel(Platform.DISCORD, GUILD_ID, CHANNEL)
    bot.fake.nonce_window = 0.0  # the retry comes later than Discord keeps nonces
    bot.fake.fail_post_number = 2
    publisher = bot.client.publisher
    outbox = bot.paperboy.outbox
    digest = bot.paperboy.digests.compose(channel)
    assert len(digest.items) == 7  # two messages: five papers, then two
    first = await outbox.deliver(digest, publisher)
    assert first.outcome is Outcome.RETRY
    bot.paperboy.clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
    assert await outbox.drain({Platform.DISCORD: publisher}, limit=5) == 1
    place = next(iter(bot.fake.threads)) if threads else CHANNEL
    assert len(bot.fake.threads) == (1 if threads else 0)  # the same thread, continued
    shown = [
        c["custom_id"].removeprefix("paperboy:more:")
        for m in bot.fake.messages[place]
        if m["author"]["id"] == BOT_ID
        for row in m["components"]
        for c in row["components"]
        if c["custom_id"].startswith("paperboy:more:")
    ]
    assert sorted(shown) == sorted(p.key for p in papers)  # each exactly once
    assert channel.id is not None
    deliveries = repository.list_deliveries(channel.id)
    assert {d.status for d in deliveries} == {"sent"}
    assert all(d.message_id for d in deliveries)


async def test_without_read_history_a_retry_relies_on_nonces(bot: Bot) -> None:
    from digest.compose import Digest
    from digest.models import DigestItem

    channel = bot.paperboy.repository.ensure_channel(Platform.DISCORD, GUILD_ID, CHANNEL)
    digest = Digest(
        channel=channel,
        day=NOW.date(),
        items=(DigestItem(paper=HOSTILE, score=0.9, why="matches"),),
        scanned=1,
    )
    publisher = bot.client.publisher
    (sent,) = await publisher.publish(digest, "run-3")
    assert await publisher.find_sent(digest, "run-3") == {HOSTILE.key: sent.id}
    bot.fake.unreadable_channels.add(CHANNEL)
    assert await publisher.find_sent(digest, "run-3") == {}  # not a refusal: no pause
    (again,) = await publisher.publish(digest, "run-3")
    assert again.id == sent.id  # within Discord's nonce memory: the same message
    assert len(bot.fake.messages[CHANNEL]) == 1


async def test_handler_errors_stay_private_and_change_nothing(bot: Bot) -> None:
    await bot.answered(await bot.command("interests", "add", {"text": "rl"}))
    token = await bot.command("interests", "remove", {"interest": "7"})
    bodies = await bot.answered(token)
    assert bodies[0]["type"] == 5 and bodies[0]["data"]["flags"] == 64  # a private deferral
    assert "no interest number 7" in bodies[-1]["content"]
    assert bodies[-1]["flags"] == 64
    assert interests(bot) == ["rl"]
    bad = await bot.command("schedule", {"time": "25:99"})
    (refusal,) = await bot.answered(bad)  # refused before deferring: one private answer
    assert refusal["type"] == 4 and refusal["data"]["flags"] == 64
    assert "Usage: /papers schedule" in refusal["data"]["content"]


async def test_an_unknown_channel_is_paused(bot: Bot) -> None:
    bot.paperboy.repository.upsert_papers([HOSTILE], NOW)
    gone = bot.paperboy.repository.ensure_channel(Platform.DISCORD, GUILD_ID, "799999999999999999")
    assert gone.id is not None
    from digest.models import Interest, InterestKind

    bot.paperboy.repository.add_interest(
        gone.id, Interest(kind=InterestKind.QUERY, text="diffusion policy")
    )
    digest = bot.paperboy.digests.compose(gone)
    result = await bot.paperboy.outbox.deliver(digest, bot.client.publisher)
    assert result.outcome is Outcome.REFUSED
    stored = bot.paperboy.repository.get_channel(gone.id)
    assert stored is not None and stored.paused
    assert "Discord: unknown channel (404" in (stored.paused_reason or "")


def test_shard_range_from_settings(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None, discord_token=SecretStr("t"), discord_shard_count=4, discord_shard_ids="2,3"
    )
    assert settings.discord_shard_ids == [2, 3]

    class _App:
        pass

    client = PaperboyDiscord(_App(), settings)  # type: ignore[arg-type]
    assert client.shard_ids == [2, 3] and client.shard_count == 4
