"""The handlers beyond the digest: follows (instant alerts), trends pictures, personal digests.

A mixin of ``bot.handlers.Handlers`` (one handler set for every platform); the dispatcher
finds these methods by command name like the others.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import TYPE_CHECKING

from bot.commands import Command, parse_command
from digest.compose import Reply
from digest.errors import UsageError
from digest.models import PERSONAL_PREFIX, Channel, InterestKind

if TYPE_CHECKING:
    from bot.handlers import CommandContext
    from digest.ports import Repository
    from digest.trends_service import TrendsService

__all__ = ["BeyondHandlers"]

_KINDS = {"author": InterestKind.AUTHOR, "cat": InterestKind.CATEGORY}


class BeyondHandlers:
    """Uses what ``Handlers`` provides (declared here for the type checker)."""

    _repository: Repository
    _trends_service: TrendsService
    _alerts_per_day: int

    if TYPE_CHECKING:

        async def _add(
            self,
            channel: Channel,
            ctx: CommandContext,
            kind: InterestKind,
            text: str,
            weight: float | None = None,
            *,
            instant: bool = False,
        ) -> Reply: ...

        def _check_may_change(self, ctx: CommandContext) -> None: ...

    async def _follow(self, command: Command, channel: Channel, ctx: CommandContext) -> Reply:
        kind = _KINDS.get(command.options.get("kind", "author"), InterestKind.QUERY)
        # An exact-phrase follow is a query interest of just that phrase.
        text = command.argument if kind != InterestKind.QUERY else f'"{command.argument}"'
        instant = "instant" in command.options
        reply = await self._add(channel, ctx, kind, text, instant=instant)
        if instant and not reply.error:
            where = "you" if channel.is_personal else "this channel"
            reply = dataclasses.replace(
                reply,
                text=f"{reply.text} Instant: each new matching paper is posted to {where} as "
                f"soon as it arrives (at most {self._alerts_per_day} a day), not in the digest.",
            )
        return reply

    async def _trends(self, command: Command, channel: Channel, ctx: CommandContext) -> Reply:
        if command.argument in ("weekly", "off"):
            self._check_may_change(ctx)
            when = command.options.get("when")
            self._repository.save_channel(dataclasses.replace(channel, trends_schedule=when))
            if when is None:
                return Reply(text="The weekly trends picture is off.", ephemeral=False)
            day, time = when.split()
            return Reply(
                text=f"The trends picture is now posted every {day.capitalize()} at {time} "
                f"({channel.schedule.timezone}).",
                ephemeral=False,
            )
        weeks = command.number or 8
        # Reading a period's matches and phrases is CPU work: off the event loop.
        trends = await asyncio.to_thread(self._trends_service.build, channel, weeks=weeks)
        lines = [
            f"{s.label}: {' '.join(str(c) for c in s.counts)} (total {sum(s.counts)})"
            for s in trends.series
        ]
        if trends.rising:
            lines.append(
                "Emerging: "
                + ", ".join(f"{p.phrase} ({p.previous:.0%}→{p.share:.0%})" for p in trends.rising)
            )
        lines += [f"Top: {t.paper.title} ({t.votes} votes)" for t in trends.top[:3]]
        if not trends.series:
            return Reply(text="No interests yet, so no trends. Add one: /papers interests add …")
        return Reply(
            text=f"Trends of the last {weeks} weeks ({trends.period}): "
            f"{trends.total} matches, papers per week and interest",
            lines=tuple(lines),
            trends=trends,
            ephemeral=channel.is_personal,
        )

    async def _me(self, command: Command, channel: Channel, ctx: CommandContext) -> Reply:
        """A command on the person's own digest: a channel of its own ("user:<id>"), sent by
        direct message, with the person's votes there teaching it."""
        if ctx.channel_id.startswith(PERSONAL_PREFIX):
            raise UsageError("you are in your own digest already: drop the `me`")
        personal = self._repository.ensure_channel(
            ctx.platform, ctx.workspace_id, PERSONAL_PREFIX + ctx.user_id, name="you"
        )
        if "dedupe" in command.options:
            on = command.options["dedupe"] == "on"
            self._repository.save_channel(dataclasses.replace(personal, dedupe=on))
            return Reply(
                text="Your digest now leaves out papers this workspace's channels were sent "
                "the same day."
                if on
                else "Your digest may now repeat papers a channel was sent the same day."
            )
        inner = parse_command(command.argument)
        me_ctx = dataclasses.replace(ctx, channel_id=personal.channel_id, is_manager=True)
        method = getattr(self, "_" + inner.name.replace(" ", "_"))
        reply: Reply = await method(inner, personal, me_ctx)
        # Everything about a person's own digest is theirs alone to see.
        return dataclasses.replace(reply, ephemeral=True)
