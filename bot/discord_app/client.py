"""The Discord side of paperboy: a discord.py AutoShardedClient with the `/papers` group,
persistent buttons, and a publisher."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import io
import logging
import re
from collections import OrderedDict
from typing import Any, Generic, TypeVar

import discord
import yarl
from discord import app_commands
from discord.utils import MISSING

from bot.app import App
from bot.discord_app.commands import build_papers_group
from bot.discord_app.render import DiscordMessage, escape, render_reply
from bot.handlers import CommandContext
from bot.settings import Settings
from digest.compose import Digest
from digest.errors import DeliveryRefused
from digest.models import PERSONAL_PREFIX, Channel, Platform
from digest.ports import QUIET_DIGEST_ARRIVED, Feedback, SentMessage
from digest.trends import Trends

__all__ = ["DiscordPublisher", "PaperboyDiscord", "build_discord_client", "to_view"]

log = logging.getLogger(__name__)
NONE = discord.AllowedMentions.none()


def to_view(message: DiscordMessage) -> discord.ui.View:
    """The message's buttons; for a message without any, discord.py's ``MISSING``, which
    every ``view=`` parameter takes as "no view" (``None`` is not accepted there)."""
    if not message.rows:
        return MISSING
    view = discord.ui.View(timeout=None)
    for row, buttons in enumerate(message.rows):
        for label, custom_id, style in buttons:
            view.add_item(
                discord.ui.Button(
                    label=label[:80],
                    custom_id=custom_id[:100],
                    style=getattr(discord.ButtonStyle, style),
                    row=row,
                )
            )
    return view


def embeds_of(message: DiscordMessage) -> list[discord.Embed]:
    return [discord.Embed.from_dict(e) for e in message.embeds]


def manages(interaction: discord.Interaction) -> bool:
    """Manage Server or Manage Channels, checked in code (the default_permissions hint that
    hides commands can be overridden by server admins)."""
    permissions = interaction.permissions
    return bool(
        permissions.manage_guild or permissions.manage_channels or permissions.administrator
    )


class PaperboyDiscord(discord.AutoShardedClient):
    def __init__(self, paperboy: App, settings: Settings) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.guild_reactions = True  # a 👍/👎 on a one-paper message is a vote
        # Only what is configured: discord.py works the rest out (the application id from
        # the token, the shard count from the gateway).
        options: dict[str, Any] = {}
        if settings.discord_application_id:
            options["application_id"] = int(settings.discord_application_id)
        if settings.discord_shard_ids:
            options["shard_ids"] = settings.discord_shard_ids
            options["shard_count"] = settings.discord_shard_count
        super().__init__(intents=intents, allowed_mentions=NONE, **options)
        self.paperboy = paperboy
        self.tree = app_commands.CommandTree(self)
        self.tree.add_command(build_papers_group(self))
        self.publisher = DiscordPublisher(self)

    def context(self, interaction: discord.Interaction) -> CommandContext:
        channel = interaction.channel
        return CommandContext(
            platform=Platform.DISCORD,
            workspace_id=str(interaction.guild_id or "dm"),
            channel_id=str(interaction.channel_id),
            channel_name=getattr(channel, "name", None),
            user_id=str(interaction.user.id),
            is_manager=manages(interaction),
            publisher=self.publisher,
        )

    async def setup_hook(self) -> None:
        self.add_dynamic_items(PaperButton)  # buttons of old digests keep working after restarts

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        await self._on_reaction(payload, added=True)

    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        await self._on_reaction(payload, added=False)

    async def _on_reaction(self, payload: discord.RawReactionActionEvent, *, added: bool) -> None:
        if self.user is not None and payload.user_id == self.user.id:
            return
        # Message ids are unique across Discord: no channel filter, so a vote in a digest's
        # thread counts for the channel the digest was for.
        workspace, personal = _scope(payload.guild_id, str(payload.user_id))
        self.paperboy.reactions.react(
            platform=Platform.DISCORD,
            workspace_id=workspace,
            channel_id=personal,
            message_id=str(payload.message_id),
            user_id=str(payload.user_id),
            emoji=payload.emoji.name or "",
            added=added,
        )

    def channel_of(self, interaction: discord.Interaction, ctx: CommandContext) -> Channel:
        """The paperboy channel an interaction belongs to: a digest button pressed in the
        digest's thread belongs to the channel the digest was for."""
        repository = self.paperboy.repository
        if interaction.message is not None:
            workspace, personal = _scope(interaction.guild_id, ctx.user_id)
            found = repository.find_message(
                Platform.DISCORD, workspace, str(interaction.message.id), channel_id=personal
            )
            if found is not None:
                return found.channel
        return repository.ensure_channel(Platform.DISCORD, ctx.workspace_id, ctx.channel_id)

    async def on_ready(self) -> None:
        log.info(
            "Discord connected", extra={"guilds": len(self.guilds), "shards": self.shard_count}
        )


class PaperButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"paperboy:(?P<action>more|less|summary|share|confirm):(?P<key>.+)",
):
    """Every paperboy button, recognised by its custom_id whenever it was sent."""

    def __init__(self, action: str, key: str) -> None:
        super().__init__(discord.ui.Button(label=action, custom_id=f"paperboy:{action}:{key}"))
        self.action = action
        self.key = key

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> PaperButton:
        return cls(match["action"], match["key"])

    async def callback(self, interaction: discord.Interaction) -> None:
        client = interaction.client
        assert isinstance(client, PaperboyDiscord)
        ctx = client.context(interaction)
        repository = client.paperboy.repository
        if self.action in ("more", "less"):
            channel = client.channel_of(interaction, ctx)
            assert channel.id is not None
            key = _resolve_key(client, channel.id, self.key)
            repository.record_feedback(
                Feedback(
                    channel_id=channel.id,
                    paper_key=key,
                    user_id=ctx.user_id,
                    value=1 if self.action == "more" else -1,
                    at=client.paperboy.clock.now(),
                )
            )
            paper = repository.get_paper(key)
            title = paper.title if paper else "this paper"
            word = "More" if self.action == "more" else "Fewer"
            await interaction.response.send_message(
                f"{'👍' if self.action == 'more' else '👎'} Noted: {word} papers like “{title}”.",
                ephemeral=True,
                allowed_mentions=NONE,
            )
            return
        if self.action == "confirm":
            await interaction.response.defer(thinking=True, ephemeral=True)
            reply = await client.paperboy.handlers.handle(self.key.replace("+", " "), ctx)
            message = render_reply(reply)
            await interaction.followup.send(
                message.content, embeds=embeds_of(message), ephemeral=True, allowed_mentions=NONE
            )
            return
        share = self.action == "share"
        await interaction.response.defer(thinking=True, ephemeral=not share)
        channel = repository.ensure_channel(Platform.DISCORD, ctx.workspace_id, ctx.channel_id)
        assert channel.id is not None
        reply = await client.paperboy.handlers.handle(
            f"summary {_resolve_key(client, channel.id, self.key)}", ctx
        )
        if share:
            reply = dataclasses.replace(
                reply,
                share_key=None,
                ephemeral=False,
                text=f"{reply.text} (shared by {interaction.user.name})",
            )
        message = render_reply(reply)
        await interaction.followup.send(
            message.content,
            embeds=embeds_of(message),
            ephemeral=not share,
            allowed_mentions=NONE,
            view=to_view(message),
        )


def _scope(guild_id: int | None, user_id: str) -> tuple[str | None, str | None]:
    """Where to look a digest message up: in its server, or, for a direct message (which
    belongs to no server), among that person's own digests in any server (message ids are
    unique across Discord)."""
    if guild_id is not None:
        return str(guild_id), None
    return None, f"{PERSONAL_PREFIX}{user_id}"


def _resolve_key(client: PaperboyDiscord, channel_id: int, key: str) -> str:
    """Long keys travel hashed in custom_ids: find the delivered paper they stand for."""
    if not key.startswith("h:"):
        return key
    from bot.discord_app.render import short_key

    for candidate in client.paperboy.repository.delivered_keys(channel_id):
        if short_key(candidate) == key:
            return candidate
    return key


K = TypeVar("K")
V = TypeVar("V")


class Recent(Generic[K, V]):
    """A mapping that keeps only its ``size`` most recently set entries."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def __setitem__(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)

    def pop(self, key: K, default: V | None = None) -> V | None:
        return self._items.pop(key, default)

    def __len__(self) -> int:
        return len(self._items)


class DiscordPublisher:
    """Posts digests, and after a crash tells what of a digest already arrived.

    Every message carries a nonce naming its delivery and its papers: a re-send soon after a
    crash is answered by Discord with the message it already has (``enforce_nonce``). Discord
    keeps nonces only for a few minutes, so a later re-send first reads the recent messages of
    the channel (or of the digest's thread): the buttons of each message name its papers.
    """

    HISTORY = 100  # recent messages read back per place
    THREADS_KEPT = 1_000  # far more digests than are ever between find_sent and publish

    def __init__(self, client: PaperboyDiscord) -> None:
        self._client = client
        # A digest's thread that find_sent found: the re-send continues there. Bounded: a
        # run given up after find_sent never comes to publish to take its entry back.
        self._threads: Recent[str, Any] = Recent(self.THREADS_KEPT)

    async def _channel(self, digest: Digest) -> Any:
        user = digest.channel.personal_user
        if user is not None:  # a personal digest: the DM channel with its person
            return await self._client.create_dm(discord.Object(id=int(user)))
        channel_id = int(digest.channel.channel_id)
        return self._client.get_channel(channel_id) or await self._client.fetch_channel(channel_id)

    async def post_trends(self, place: Any, trends: Trends, delivery_tag: str) -> str:
        """Sends the trends picture as an attachment; returns the message id."""
        from bot.charts import draw_trends

        content = await asyncio.to_thread(draw_trends, trends)  # CPU work, off the loop
        sent = await place.send(
            f"**{escape(trends.title)}** ({trends.period})",
            file=discord.File(io.BytesIO(content), filename=trends_filename(delivery_tag)),
            allowed_mentions=NONE,
            nonce=_nonce(delivery_tag, 0, ()),
        )
        return str(sent.id)

    async def find_sent(self, digest: Digest, delivery_tag: str) -> dict[str, str]:
        from bot.discord_app.render import render_digest, short_key

        try:
            channel = await self._channel(digest)
            me = self._client.user.id if self._client.user else None
            wanted = {short_key(i.paper.key): i.paper.key for i in digest.items}
            quiet = render_digest(digest)[0].content if digest.is_empty else None
            in_thread = isinstance(channel, discord.ForumChannel) or (
                digest.channel.delivery_mode == "thread"
                and isinstance(channel, discord.TextChannel)
            )
            places = [channel]
            if in_thread:  # the digest's own thread (or forum post), newest first
                places = sorted(
                    (
                        t
                        for t in await channel.guild.active_threads()
                        if t.parent_id == channel.id
                        and t.owner_id == me
                        and t.name.startswith(digest.title)
                    ),
                    key=lambda t: t.id,
                    reverse=True,
                )
            for place in places:
                found: dict[str, str] = {}
                count = 0
                async for message in place.history(limit=self.HISTORY):
                    count += 1
                    if message.author.id != me:
                        continue
                    for short in _papers_of(message):
                        if short in wanted:
                            found[wanted[short]] = str(message.id)
                    if quiet is not None and message.content == quiet:
                        found[QUIET_DIGEST_ARRIVED] = str(message.id)
                    picture = trends_filename(delivery_tag)
                    if digest.kind == "trends" and any(
                        a.filename == picture for a in message.attachments
                    ):
                        found[QUIET_DIGEST_ARRIVED] = str(message.id)
                if in_thread and (found or count == 0):
                    self._threads[delivery_tag] = place  # continue in it, not in a new one
                    return found
                if found:
                    return found
        except discord.Forbidden as exc:
            # Without Read Message History only the nonces guard the re-send; sending itself
            # may still be allowed, so this is no reason to pause the channel.
            log.warning(
                "cannot read back a digest's messages; relying on nonces",
                extra={"channel": digest.channel.address, "error": f"{exc.status} {exc.text}"},
            )
        except discord.NotFound as exc:
            raise DeliveryRefused(f"Discord: unknown channel ({exc.status} {exc.text})") from None
        return {}

    async def publish(self, digest: Digest, delivery_tag: str) -> list[SentMessage]:
        from bot.discord_app.render import render_alert, render_digest

        ids: list[SentMessage] = []
        try:
            channel = await self._channel(digest)
            if digest.kind == "trends" and digest.trends is not None:
                return [SentMessage(await self.post_trends(channel, digest.trends, delivery_tag))]
            messages = [render_alert(digest)] if digest.kind == "alert" else render_digest(digest)
            title = f"{digest.title} ({len(digest.items)} papers)"[:100]
            reused = self._threads.pop(delivery_tag, None)
            if reused is not None:
                channel = reused
            elif isinstance(channel, discord.ForumChannel):
                # A forum takes posts, not messages: each digest is a new post.
                first = messages.pop(0)
                created = await channel.create_thread(
                    name=title,
                    content=first.content,
                    embeds=embeds_of(first),
                    allowed_mentions=NONE,
                    view=to_view(first),
                )
                channel = created.thread
                ids.append(SentMessage(str(created.message.id), first.papers))
            elif (
                digest.kind == "digest"
                and digest.channel.delivery_mode == "thread"
                and isinstance(channel, discord.TextChannel)
            ):
                channel = await channel.create_thread(
                    name=title, type=discord.ChannelType.public_thread, auto_archive_duration=1440
                )
            for part, message in enumerate(messages):
                sent = await channel.send(
                    message.content,
                    embeds=embeds_of(message),
                    allowed_mentions=NONE,
                    # discord.py sends enforce_nonce with every nonce.
                    nonce=_nonce(delivery_tag, part, message.papers),
                    view=to_view(message),
                )
                ids.append(SentMessage(str(sent.id), message.papers))
        except discord.Forbidden as exc:
            raise DeliveryRefused(f"Discord: missing access ({exc.status} {exc.text})") from None
        except discord.NotFound as exc:
            raise DeliveryRefused(f"Discord: unknown channel ({exc.status} {exc.text})") from None
        return ids


def _nonce(tag: str, part: int, papers: tuple[str, ...]) -> str:
    """At most 25 characters: the delivery, and the papers of the message (a re-send of the
    papers that are left after a crash must not match an earlier message's nonce); a message
    without papers (a header, a quiet day) by its place in the digest."""
    if not papers:
        return f"{tag}-h{part}"[:25]
    digest = hashlib.sha1("\n".join(papers).encode()).hexdigest()  # noqa: S324
    return f"{tag}-{digest}"[:25]


def _papers_of(message: discord.Message) -> list[str]:
    """The (short) paper keys a digest message's vote buttons name."""
    keys = []
    for row in message.components:
        for child in getattr(row, "children", ()):
            custom_id = getattr(child, "custom_id", None) or ""
            if custom_id.startswith("paperboy:more:"):
                keys.append(custom_id.removeprefix("paperboy:more:"))
    return keys


def build_discord_client(settings: Settings, paperboy: App) -> PaperboyDiscord:
    """The client, pointed at the configured REST base and gateway (how tests reach fakes)."""
    discord.http.Route.BASE = settings.discord_api_url.rstrip("/")
    client = PaperboyDiscord(paperboy, settings)
    if settings.discord_gateway_url:
        gateway = settings.discord_gateway_url
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
        original = client.http.get_bot_gateway

        async def configured_gateway() -> Any:
            shards, _, limits = await original()
            return shards, gateway, limits

        client.http.get_bot_gateway = configured_gateway  # type: ignore[method-assign]
    return client


def trends_filename(delivery_tag: str) -> str:
    """A trends picture's attachment name carries its tag: how a restart finds it arrived."""
    return f"paperboy-trends-{delivery_tag}.png"
