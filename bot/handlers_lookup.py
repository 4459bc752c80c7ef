"""The handlers that look things up and change nothing: search, summary, status, why (not)
posted, and the control panel's link.

A mixin of ``bot.handlers.Handlers`` (one handler set for every platform); the dispatcher
finds these methods by command name like the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bot.commands import Command
from bot.web_app.auth import LINK_TTL, Grant, PanelKeys
from digest.compose import Reply
from digest.errors import SourceError, UsageError
from digest.models import Channel, Interest, InterestKind, Paper, Platform
from digest.ports import Clock, Repository
from digest.ranking.query import parse_query
from digest.ranking.ranker import ChannelProfile, LexicalRanker
from digest.schedule import next_run
from digest.service import DigestService
from digest.summarise.model import Summary
from digest.summarise.service import SummaryService

if TYPE_CHECKING:
    from bot.handlers import CommandContext

__all__ = ["LookupHandlers", "summary_reply"]


class LookupHandlers:
    """Uses what ``Handlers`` sets up (declared here for the type checker)."""

    _repository: Repository
    _digests: DigestService
    _clock: Clock
    _remote_search: Callable[[str], Awaitable[list[Paper]]] | None
    _summaries: SummaryService
    _panel_keys: PanelKeys | None

    async def _search(self, command: Command, channel: Channel, ctx: CommandContext) -> Reply:
        query = parse_query(command.argument)
        papers = await asyncio.to_thread(self._search_stored, command.argument)
        note = ""
        if self._remote_search is not None:
            try:
                remote = await self._remote_search(query.text or command.argument)
            except SourceError as exc:
                note = f" (Hugging Face search is unavailable: {exc.reason})"
            else:
                keys = {p.key for p in papers}
                papers += [p for p in remote if p.key not in keys][: 8 - len(papers)]
        if not papers:
            return Reply(text=f"Nothing found for “{command.argument}”{note}.")
        return Reply(text=f"Best matches for “{command.argument}”{note}", papers=tuple(papers))

    def _search_stored(self, text: str) -> list[Paper]:
        stored = self._repository.list_papers(limit=5000)
        profile = ChannelProfile(interests=(Interest(kind=InterestKind.QUERY, text=text),))
        return [i.paper for i in LexicalRanker().score(stored, profile) if i.score > 0.2][:5]

    async def _summary(self, command: Command, channel: Channel, ctx: CommandContext) -> Reply:
        resolution = await self._summaries.resolve(command.argument)
        if resolution.paper is None:
            return Reply(
                text="Several papers match; which one did you mean?",
                papers=resolution.candidates,
                choices=True,
            )
        return summary_reply(await self._summaries.summarise(resolution.paper), resolution.paper)

    async def _status(self, command: Command, channel: Channel, ctx: CommandContext) -> Reply:
        assert channel.id is not None
        lines: list[str] = []
        for health in self._repository.list_source_health():
            if health.healthy:
                seen = f"{health.last_success:%d %b %H:%M UTC}" if health.last_success else "never"
                lines.append(f"Source {health.name}: ok (last success {seen})")
            else:
                lines.append(f"Source {health.name}: failing — {health.last_error}")
        last = self._repository.last_run(channel.id)
        lines.append(
            f"Last digest: {last.started_at:%a %d %b %H:%M UTC}, "
            f"{last.picked} papers ({last.status})"
            if last
            else "Last digest: none yet"
        )
        if channel.paused:
            lines.append(f"Paused: {channel.paused_reason or 'yes'}")
        else:
            lines.append(
                f"Next digest: {next_run(channel.schedule, self._clock.now()):%a %d %b %H:%M %Z}"
            )
        lines.append(
            f"Papers stored: {self._repository.count_papers()}; "
            f"sent here: {len(self._repository.delivered_keys(channel.id))}; "
            f"interests: {len(self._repository.list_interests(channel.id))}"
        )
        return Reply(text="paperboy status", lines=tuple(lines))

    async def _why(self, command: Command, channel: Channel, ctx: CommandContext) -> Reply:
        # Ranking is CPU work: off the event loop, so other commands are answered meanwhile.
        report = await asyncio.to_thread(self._digests.why, channel, command.argument)
        return Reply(
            text=report.verdict,
            lines=report.lines(),
            papers=(report.paper,) if report.paper else (),
        )

    async def _panel(self, command: Command, channel: Channel, ctx: CommandContext) -> Reply:
        if self._panel_keys is None:
            return Reply(text="The web control panel is not set up here.", error=True)
        if ctx.platform == Platform.DISCORD and ctx.workspace_id == "dm":
            # Every direct message shares the workspace "dm": a panel there would show
            # other people's conversations.
            raise UsageError("the control panel is for servers; in a direct message, use /papers")
        grant = Grant(
            platform=ctx.platform,
            workspace_id=ctx.workspace_id,
            user_id=ctx.user_id,
            manager=ctx.is_manager,
        )
        link = self._panel_keys.link(grant, self._clock.now())
        minutes = int(LINK_TTL.total_seconds() // 60)
        return Reply(
            text="Your control panel for this workspace (only for you; the link works for "
            f"{minutes} minutes, then ask again):",
            link=link,
        )


def summary_reply(summary: Summary, paper: Paper, *, ephemeral: bool = True) -> Reply:
    lines = [f"TL;DR: {summary.tldr}", *summary.points]
    if summary.note:
        lines.append(f"({summary.note})")
    return Reply(
        text=summary.title,
        lines=tuple(lines),
        papers=(paper,),
        ephemeral=ephemeral,
        share_key=paper.key,
    )
