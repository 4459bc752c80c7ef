"""One handler set for every platform: a parsed `/papers` command in, a neutral Reply out."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.commands import BOOSTS, COMMANDS, Command, parse_command
from bot.handlers_beyond import BeyondHandlers
from bot.web_app.auth import LINK_TTL, Grant, PanelKeys
from digest.alerts import instant_allowed
from digest.compose import Reply
from digest.errors import PaperboyError, SourceError, UsageError
from digest.models import Channel, Interest, InterestKind, Paper, Platform, Schedule
from digest.outbox import Outbox, Outcome
from digest.ports import Clock, Publisher, Repository
from digest.ranking.query import parse_query
from digest.ranking.ranker import ChannelProfile, LexicalRanker
from digest.schedule import next_run
from digest.service import DigestService
from digest.summarise.model import Summary
from digest.summarise.service import SummaryService
from digest.trends_service import TrendsService

__all__ = ["CommandContext", "Handlers", "summary_reply"]

log = logging.getLogger(__name__)
RemoteSearch = Callable[[str], Awaitable[list[Paper]]]


@dataclass(frozen=True, kw_only=True, slots=True)
class CommandContext:
    platform: Platform
    workspace_id: str
    channel_id: str
    user_id: str
    channel_name: str | None = None
    # Whether the platform says this user manages the channel or workspace.
    is_manager: bool = False
    publisher: Publisher | None = None


class Handlers(BeyondHandlers):
    def __init__(
        self,
        repository: Repository,
        digests: DigestService,
        outbox: Outbox,
        clock: Clock,
        *,
        remote_search: RemoteSearch | None = None,
        summaries: SummaryService | None = None,
        observe: Callable[[str, str, float], None] | None = None,
        trends: TrendsService | None = None,
        alerts_per_day: int = 10,
        panel: PanelKeys | None = None,
    ) -> None:
        self._repository = repository
        self._digests = digests
        self._outbox = outbox
        self._clock = clock
        self._remote_search = remote_search
        self._summaries = summaries or SummaryService(repository, clock)
        self._observe = observe  # (platform, command, seconds), for the latency metric
        self._trends_service = trends or TrendsService(repository, clock, digests)
        self._alerts_per_day = alerts_per_day
        self._panel_keys = panel

    async def handle(self, text: str, ctx: CommandContext) -> Reply:
        """Run a command. Errors become an ephemeral reply with the usage; nothing is stored."""
        started = time.perf_counter()
        reply = await self._handle(text, ctx)
        if self._observe is not None:
            words = text.replace("/papers", "", 1).split()
            name = words[0].lower() if words and not reply.error else "error"
            self._observe(str(ctx.platform), name[:32], time.perf_counter() - started)
        return reply

    async def _handle(self, text: str, ctx: CommandContext) -> Reply:
        try:
            command = parse_command(text)
            channel = self._repository.ensure_channel(
                ctx.platform, ctx.workspace_id, ctx.channel_id, name=ctx.channel_name
            )
            if command.spec.changes_settings:
                self._check_may_change(ctx)
            method = getattr(self, "_" + command.name.replace(" ", "_"))
            return await method(command, channel, ctx)
        except UsageError as exc:
            log.info("command refused", extra={"channel": ctx.channel_id, "reason": str(exc)})
            return Reply(text=str(exc), error=True)
        except PaperboyError as exc:
            log.warning("command failed", extra={"channel": ctx.channel_id, "error": str(exc)})
            return Reply(text=f"Sorry, that did not work: {exc}", error=True)

    def may_change(self, ctx: CommandContext) -> bool:
        """Whether ``ctx``'s person may change settings (the rule every front end follows)."""
        try:
            self._check_may_change(ctx)
        except UsageError:
            return False
        return True

    def _check_may_change(self, ctx: CommandContext) -> None:
        workspace = self._repository.ensure_workspace(ctx.platform, ctx.workspace_id)
        if workspace.restrict_settings and not ctx.is_manager:
            raise UsageError(
                "only channel managers and workspace admins can change paperboy's settings here"
            )

    # ---------------------------------------------------------------------------------------
    async def _help(self, command: Command, channel: Channel, ctx: CommandContext) -> Reply:
        lines = tuple(f"/papers {spec.usage} — {spec.summary}" for spec in COMMANDS)
        return Reply(text="paperboy commands", lines=lines)

    async def _interests_add(
        self, command: Command, channel: Channel, ctx: CommandContext
    ) -> Reply:
        parse_query(command.argument)  # a bad query is refused before anything is stored
        return await self._add(channel, ctx, InterestKind.QUERY, command.argument, command.weight)

    async def _add(
        self,
        channel: Channel,
        ctx: CommandContext,
        kind: InterestKind,
        text: str,
        weight: float | None = None,
        *,
        instant: bool = False,
    ) -> Reply:
        assert channel.id is not None
        existing = self._repository.list_interests(channel.id)
        same = next(
            (i for i in existing if i.kind == kind and i.text.lower() == text.lower()), None
        )
        if same is not None and (same.instant or not instant):
            return Reply(text=f"Already following {kind.value} “{text}”.")
        if same is not None and same.id is not None:  # now instant: replaced below
            self._repository.remove_interest(channel.id, same.id)
            existing.remove(same)
        if len(existing) >= 50:
            raise UsageError("a channel can have at most 50 interests; remove some first")
        interest = Interest(
            kind=kind,
            text=text,
            weight=weight or 1.0,
            added_by=ctx.user_id,
            added_at=self._clock.now(),
            instant=instant,
        )
        if instant and not instant_allowed(interest):
            raise UsageError("only author:, cat: and exact-phrase follows can be instant")
        stored = self._repository.add_interest(channel.id, interest)
        weight_note = f" (weight {weight:g})" if weight else ""
        added = f"Added {kind.value} interest “{text}”{weight_note}."
        # Ranking the recent papers may wait for the embedding model to start: off the event
        # loop, so other commands are still acknowledged within the platforms' 3 seconds.
        trial = await asyncio.to_thread(self._trial, channel, stored)
        return Reply(text=added + trial, ephemeral=False)

    def _trial(self, channel: Channel, interest: Interest) -> str:
        """What the new interest would have picked lately, as a sentence (or nothing when
        there are no recent papers, or the trial fails: adding must not depend on it)."""
        try:
            trial = self._digests.try_interest(channel, interest)
        except Exception:  # the interest is stored; only the hint is lost
            log.exception("could not try a new interest", extra={"channel": channel.address})
            return ""
        if not trial.scanned:
            return ""
        days = f"last {trial.days} days'" if trial.days > 1 else "last day's"
        scope = f"the {days} {trial.scanned} papers"
        if trial.unmet:
            return f" Of {scope}, none {'; none '.join(trial.unmet)}."
        if not trial.picked:
            return (
                f" Of {scope}, none is relevant enough for this channel's threshold "
                f"({channel.min_score:g}): a broader interest would catch more."
            )
        count = len(trial.picked)
        full = " (a full digest)" if count == channel.digest_size else ""
        examples = "; ".join(f"“{_clip(i.paper.title, 80)}”" for i in trial.picked[:2])
        return f" Of {scope}, it would have picked {count}{full}, e.g. {examples}."

    async def _interests_remove(
        self, command: Command, channel: Channel, ctx: CommandContext
    ) -> Reply:
        assert channel.id is not None
        interests = self._repository.list_interests(channel.id)
        if command.number is not None:
            if not 1 <= command.number <= len(interests):
                raise UsageError(
                    f"there is no interest number {command.number}; see /papers interests list"
                )
            target = interests[command.number - 1]
        else:
            wanted = command.argument.strip().strip('"').lower()
            named = next((i for i in interests if i.text.lower() == wanted), None)
            if named is None:
                raise UsageError(f"no interest “{command.argument}”; see /papers interests list")
            target = named
        assert target.id is not None
        self._repository.remove_interest(channel.id, target.id)
        return Reply(text=f"Removed {target.kind.value} interest “{target.text}”.", ephemeral=False)

    async def _interests_weight(
        self, command: Command, channel: Channel, ctx: CommandContext
    ) -> Reply:
        assert channel.id is not None and command.number is not None and command.weight
        interests = self._repository.list_interests(channel.id)
        if not 1 <= command.number <= len(interests):
            raise UsageError(
                f"there is no interest number {command.number}; see /papers interests list"
            )
        old = interests[command.number - 1]
        assert old.id is not None
        self._repository.remove_interest(channel.id, old.id)
        self._repository.add_interest(
            channel.id, dataclasses.replace(old, id=None, weight=command.weight)
        )
        return Reply(
            text=f"The {old.kind.value} interest “{old.text}” now counts with weight "
            f"{command.weight:g} (it was {old.weight:g}); it moves to the end of the list.",
            ephemeral=False,
        )

    async def _interests_list(
        self, command: Command, channel: Channel, ctx: CommandContext
    ) -> Reply:
        assert channel.id is not None
        interests = self._repository.list_interests(channel.id)
        if not interests:
            return Reply(text="No interests yet. Add one: /papers interests add <text>")
        lines = tuple(
            f"{n}. [{i.kind.value}] {i.text}" + (f" (weight {i.weight:g})" if i.weight != 1 else "")
            for n, i in enumerate(interests, start=1)
        )
        return Reply(text=f"{len(interests)} interests", lines=lines)

    async def _interests_clear(
        self, command: Command, channel: Channel, ctx: CommandContext
    ) -> Reply:
        assert channel.id is not None
        count = len(self._repository.list_interests(channel.id))
        if not command.confirmed:
            return Reply(
                text=f"Remove all {count} interests of this channel?",
                confirm_command="interests clear --yes",
            )
        removed = self._repository.clear_interests(channel.id)
        return Reply(text=f"Removed all {removed} interests.", ephemeral=False)

    async def _category(self, command: Command, channel: Channel, ctx: CommandContext) -> Reply:
        return await self._add(channel, ctx, InterestKind.CATEGORY, command.argument)

    async def _schedule(self, command: Command, channel: Channel, ctx: CommandContext) -> Reply:
        assert command.schedule is not None
        at, timezone, days = command.schedule
        schedule = Schedule(
            time=at,
            timezone=timezone or channel.schedule.timezone,
            days=days or channel.schedule.days,
        )
        self._repository.save_channel(dataclasses.replace(channel, schedule=schedule))
        when = next_run(schedule, self._clock.now())
        return Reply(
            text=f"Digests now go out {schedule.describe()}. Next: {when:%a %d %b %H:%M %Z}.",
            ephemeral=False,
        )

    async def _size(self, command: Command, channel: Channel, ctx: CommandContext) -> Reply:
        assert command.number is not None
        self._repository.save_channel(dataclasses.replace(channel, digest_size=command.number))
        return Reply(text=f"Digests now hold at most {command.number} papers.", ephemeral=False)

    async def _threshold(self, command: Command, channel: Channel, ctx: CommandContext) -> Reply:
        value = float(command.options["value"])
        self._repository.save_channel(dataclasses.replace(channel, min_score=value))
        return Reply(
            text=f"Digests now leave out papers below {command.argument} relevance "
            f"(it was {channel.min_score:g}).",
            ephemeral=False,
        )

    async def _quiet(self, command: Command, channel: Channel, ctx: CommandContext) -> Reply:
        say = command.argument == "say"
        self._repository.save_channel(dataclasses.replace(channel, quiet_day_message=say))
        what = "a short note says so" if say else "nothing is posted"
        return Reply(text=f"When nothing new matches, {what}.", ephemeral=False)

    async def _threads(self, command: Command, channel: Channel, ctx: CommandContext) -> Reply:
        mode = "thread" if command.argument == "on" else "channel"
        self._repository.save_channel(dataclasses.replace(channel, delivery_mode=mode))
        where = "in a new thread each day" if mode == "thread" else "in the channel"
        return Reply(text=f"Digests now go {where}.", ephemeral=False)

    async def _layout(self, command: Command, channel: Channel, ctx: CommandContext) -> Reply:
        self._repository.save_channel(dataclasses.replace(channel, layout=command.argument))
        return Reply(text=f"Digests now come {_LAYOUT_LABELS[command.argument]}.", ephemeral=False)

    async def _boost(self, command: Command, channel: Channel, ctx: CommandContext) -> Reply:
        on = command.options["state"] == "on"
        match command.argument:  # (the grammar admits only these three)
            case "upvotes":
                channel = dataclasses.replace(channel, boost_upvotes=on)
            case "recency":
                channel = dataclasses.replace(channel, boost_recency=on)
            case _:
                channel = dataclasses.replace(channel, boost_code=on)
        self._repository.save_channel(channel)
        what = _BOOST_LABELS[command.argument]
        return Reply(
            text=f"{what.capitalize()} {'now rank' if on else 'no longer rank'} higher here.",
            ephemeral=False,
        )

    async def _pause(self, command: Command, channel: Channel, ctx: CommandContext) -> Reply:
        self._repository.save_channel(
            dataclasses.replace(channel, paused=True, paused_reason=f"paused by {ctx.user_id}")
        )
        return Reply(text="Digests are paused here. /papers resume to restart.", ephemeral=False)

    async def _resume(self, command: Command, channel: Channel, ctx: CommandContext) -> Reply:
        self._repository.save_channel(
            dataclasses.replace(channel, paused=False, paused_reason=None)
        )
        when = next_run(channel.schedule, self._clock.now())
        return Reply(text=f"Digests resume. Next: {when:%a %d %b %H:%M %Z}.", ephemeral=False)

    async def _settings(self, command: Command, channel: Channel, ctx: CommandContext) -> Reply:
        assert channel.id is not None
        lines = (
            f"Schedule: {channel.schedule.describe()}",
            f"Digest size: at most {channel.digest_size} papers",
            f"Minimum relevance: {channel.min_score:g} (papers below it are left out)",
            f"Quiet days: {'say so' if channel.quiet_day_message else 'post nothing'}",
            "Digests go: "
            + ("in a new thread" if channel.delivery_mode == "thread" else "in the channel"),
            f"Layout: {_LAYOUT_LABELS.get(channel.layout, channel.layout)}",
            "Boosts: "
            + (
                ", ".join(_BOOST_LABELS[b] for b in BOOSTS if getattr(channel, f"boost_{b}"))
                or "none"
            ),
            f"Status: {f'paused ({channel.paused_reason})' if channel.paused else 'active'}",
            "Trends picture: "
            + (f"weekly, {channel.trends_schedule}" if channel.trends_schedule else "on request"),
            f"Interests: {len(self._repository.list_interests(channel.id))}",
        )
        return Reply(text="Settings of this channel", lines=lines)

    async def _digest_now(self, command: Command, channel: Channel, ctx: CommandContext) -> Reply:
        if ctx.publisher is None:
            return Reply(text="This platform cannot post digests.", error=True)
        digest = await asyncio.to_thread(self._digests.compose, channel)
        if digest.is_empty:
            return Reply(text=_quiet(digest.scanned, channel), ephemeral=False, digest=digest)
        result = await self._outbox.deliver(digest, ctx.publisher)
        if result.outcome is Outcome.SENT:
            return Reply(text=f"Posted a digest of {result.sent} papers.")
        if result.outcome is Outcome.REFUSED:
            return Reply(
                text=f"The digest could not be posted here ({result.reason}); "
                "the channel is paused until `/papers resume`.",
                error=True,
            )
        return Reply(
            text="Posting the digest failed for now; it will be retried shortly.", error=True
        )

    async def _preview(self, command: Command, channel: Channel, ctx: CommandContext) -> Reply:
        digest = await asyncio.to_thread(self._digests.compose, channel, preview=True)
        text = _quiet(digest.scanned, channel) if digest.is_empty else "Preview (only you see this)"
        return Reply(text=text, digest=digest)

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


_LAYOUT_LABELS = {
    "grouped": "several papers per message (vote with the buttons)",
    "single": "one message per paper (vote with the buttons or a 👍/👎 reaction)",
}
_BOOST_LABELS = {
    "upvotes": "papers with many HF upvotes",
    "recency": "the newest papers",
    "code": "papers with code",
}


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _quiet(scanned: int, channel: Channel) -> str:
    return f"No new papers matched this channel's interests ({scanned} scanned)."
