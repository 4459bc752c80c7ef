"""The `/papers` application-command group: typed options in, the shared grammar's text out.

Each subcommand only rebuilds the text a Slack user would type and hands it to the same
handlers; changing settings needs Manage Server or Manage Channels, checked here in code.
"""

from __future__ import annotations

import asyncio
import io
import logging
from typing import TYPE_CHECKING
from zoneinfo import available_timezones

import discord
from discord import app_commands

from bot.commands import BOOSTS, parse_command
from bot.discord_app.render import render_reply
from digest.compose import Reply
from digest.errors import UsageError
from digest.models import Platform

if TYPE_CHECKING:
    from bot.discord_app.client import PaperboyDiscord

__all__ = ["COMMAND_PATHS", "build_papers_group"]

log = logging.getLogger(__name__)
COMMAND_PATHS = (
    "help",
    "interests add",
    "interests remove",
    "interests weight",
    "interests list",
    "interests clear",
    "follow",
    "category",
    "schedule",
    "size",
    "threshold",
    "quiet",
    "threads",
    "layout",
    "boost",
    "pause",
    "resume",
    "settings",
    "digest now",
    "preview",
    "search",
    "summary",
    "status",
    "trends",
    "me",
    "why",
    "panel",
)
_TIMEZONES = sorted(available_timezones())
_PUBLIC = {
    "interests add",
    "interests remove",
    "interests weight",
    "interests clear",
    "follow",
    "category",
    "schedule",
    "size",
    "threshold",
    "quiet",
    "threads",
    "layout",
    "boost",
    "pause",
    "resume",
    "digest now",
    "trends",
}


async def _run(client: PaperboyDiscord, interaction: discord.Interaction, text: str) -> None:
    from bot.discord_app.client import NONE, embeds_of, manages, to_view

    try:
        command = parse_command(text)
    except UsageError as exc:
        await interaction.response.send_message(f"⚠️ {exc}", ephemeral=True, allowed_mentions=NONE)
        return
    if command.spec.changes_settings and not manages(interaction):
        await interaction.response.send_message(
            "⚠️ Changing paperboy's settings needs the Manage Server or Manage Channels permission.",
            ephemeral=True,
            allowed_mentions=NONE,
        )
        return
    # Defer at once (Discord wants an answer within 3 s); the answer may take longer. The
    # deferral is private, so an error is only ever shown to the person who typed it.
    await interaction.response.defer(thinking=True, ephemeral=True)
    try:
        reply = await client.paperboy.handlers.handle(text, client.context(interaction))
    except Exception:  # the deferred interaction still gets an answer, and the log the details
        log.exception(
            "command crashed", extra={"command": command.name, "channel": interaction.channel_id}
        )
        reply = Reply(text="Sorry, that failed unexpectedly; it has been logged.", error=True)
    message = render_reply(reply)
    view = to_view(message)
    files: list[discord.File] = []
    if reply.trends is not None:  # the picture itself, as an attachment
        from bot.charts import draw_trends

        png = await asyncio.to_thread(draw_trends, reply.trends)
        files.append(discord.File(io.BytesIO(png), filename="paperboy-trends.png"))
    if reply.error or reply.ephemeral or command.name not in _PUBLIC:
        await interaction.followup.send(
            message.content,
            embeds=embeds_of(message),
            ephemeral=True,
            allowed_mentions=NONE,
            view=view,
            files=files,
        )
        return
    # A change everyone should see: confirmed privately, announced in the channel.
    await interaction.followup.send("✓ Done.", ephemeral=True, allowed_mentions=NONE)
    await interaction.followup.send(
        message.content, embeds=embeds_of(message), allowed_mentions=NONE, view=view, files=files
    )


ON_OFF = [app_commands.Choice(name=v, value=v) for v in ("on", "off")]


def build_papers_group(client: PaperboyDiscord) -> app_commands.Group:
    papers = app_commands.Group(name="papers", description="Research-paper digests")
    interests = app_commands.Group(
        name="interests", description="What this channel follows", parent=papers
    )
    digest = app_commands.Group(name="digest", description="Digests on demand", parent=papers)

    async def interest_choices(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        channel = client.paperboy.repository.ensure_channel(
            Platform.DISCORD, str(interaction.guild_id or "dm"), str(interaction.channel_id)
        )
        assert channel.id is not None
        found = client.paperboy.repository.list_interests(channel.id)
        return [
            app_commands.Choice(name=f"{n}. {i.text}"[:100], value=str(n))
            for n, i in enumerate(found, start=1)
            if current.lower() in i.text.lower()
        ][:25]

    async def timezone_choices(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=z, value=z) for z in _TIMEZONES if current.lower() in z.lower()
        ][:25]

    @papers.command(name="help", description="List the commands")
    async def help_(interaction: discord.Interaction) -> None:
        await _run(client, interaction, "help")

    @interests.command(
        name="add",
        description='Follow a topic: words, "phrases", -exclusions, author:, cat:, like:',
    )
    @app_commands.describe(
        text='e.g. "diffusion policy" robots -survey', weight="How much it counts (default 1)"
    )
    async def interests_add(
        interaction: discord.Interaction,
        text: str,
        weight: app_commands.Range[float, 0.1, 10.0] | None = None,
    ) -> None:
        suffix = f" --weight {weight:g}" if weight is not None else ""
        await _run(client, interaction, f"interests add {text}{suffix}")

    @interests.command(name="remove", description="Stop following an interest")
    @app_commands.autocomplete(interest=interest_choices)
    async def interests_remove(interaction: discord.Interaction, interest: str) -> None:
        await _run(client, interaction, f"interests remove {interest}")

    @interests.command(name="weight", description="Change how much an interest counts")
    @app_commands.autocomplete(interest=interest_choices)
    async def interests_weight(
        interaction: discord.Interaction,
        interest: str,
        weight: app_commands.Range[float, 0.1, 10.0],
    ) -> None:
        await _run(client, interaction, f"interests weight {interest} {weight:g}")

    @interests.command(name="list", description="Show this channel's interests")
    async def interests_list(interaction: discord.Interaction) -> None:
        await _run(client, interaction, "interests list")

    @interests.command(name="clear", description="Remove every interest (asks to confirm)")
    async def interests_clear(interaction: discord.Interaction) -> None:
        await _run(client, interaction, "interests clear")

    @papers.command(name="follow", description="Follow an author, a category or a phrase")
    @app_commands.describe(
        author="An author's name",
        category="An arXiv category, e.g. cs.RO",
        phrase="An exact phrase",
        instant="Post each new match at once instead of in the digest",
    )
    async def follow(
        interaction: discord.Interaction,
        author: str | None = None,
        category: str | None = None,
        phrase: str | None = None,
        instant: bool = False,
    ) -> None:
        forms = ((author, 'author:"{}"'), (category, "cat:{}"), (phrase, '"{}"'))
        chosen = [(value, form) for value, form in forms if value]
        # One of the three, or the grammar's own error naming what to give.
        text = "follow " + (
            chosen[0][1].format(chosen[0][0].replace('"', "")) if len(chosen) == 1 else ""
        )
        await _run(client, interaction, text + (" --instant" if instant else ""))

    @papers.command(name="trends", description="A picture of the last weeks' papers")
    @app_commands.describe(
        weeks="How many weeks (default 8)",
        weekly='Post it weekly, e.g. "mon 09:00", or "off"',
    )
    async def trends(
        interaction: discord.Interaction,
        weeks: app_commands.Range[int, 1, 52] | None = None,
        weekly: str | None = None,
    ) -> None:
        if weekly:
            text = "trends off" if weekly.strip().lower() == "off" else f"trends weekly {weekly}"
        else:
            text = f"trends {weeks}" if weeks else "trends"
        await _run(client, interaction, text)

    @papers.command(name="me", description="Your own digest, by direct message")
    @app_commands.describe(command='A command for your digest, e.g. "interests add robots"')
    async def me(interaction: discord.Interaction, command: str) -> None:
        await _run(client, interaction, f"me {command}")

    @papers.command(name="category", description="Follow an arXiv category, e.g. cs.LG")
    async def category(interaction: discord.Interaction, category: str) -> None:
        await _run(client, interaction, f"category {category}")

    @papers.command(name="schedule", description="When the digest is posted")
    @app_commands.describe(
        time="HH:MM, 24-hour clock",
        timezone="e.g. Europe/Berlin",
        days="weekdays, daily, or weekly <day>",
    )
    @app_commands.autocomplete(timezone=timezone_choices)
    async def schedule(
        interaction: discord.Interaction,
        time: str,
        timezone: str | None = None,
        days: str | None = None,
    ) -> None:
        await _run(client, interaction, " ".join(filter(None, ["schedule", time, timezone, days])))

    @papers.command(name="size", description="How many papers a digest holds at most")
    async def size(
        interaction: discord.Interaction, papers: app_commands.Range[int, 1, 25]
    ) -> None:
        await _run(client, interaction, f"size {papers}")

    @papers.command(name="threshold", description="Leave out papers less relevant than this")
    @app_commands.describe(relevance="0 to 1 (default 0.25); higher gives shorter digests")
    async def threshold(
        interaction: discord.Interaction, relevance: app_commands.Range[float, 0.0, 1.0]
    ) -> None:
        await _run(client, interaction, f"threshold {relevance:g}")

    @papers.command(name="quiet", description="When nothing new matches: say so, or stay silent")
    @app_commands.choices(
        mode=[
            app_commands.Choice(name="say so", value="say"),
            app_commands.Choice(name="post nothing", value="silent"),
        ]
    )
    async def quiet(interaction: discord.Interaction, mode: app_commands.Choice[str]) -> None:
        await _run(client, interaction, f"quiet {mode.value}")

    @papers.command(name="threads", description="Post each digest in a new thread")
    @app_commands.choices(mode=ON_OFF)
    async def threads(interaction: discord.Interaction, mode: app_commands.Choice[str]) -> None:
        await _run(client, interaction, f"threads {mode.value}")

    @papers.command(name="layout", description="Several papers per message, or one per paper")
    @app_commands.choices(
        layout=[
            app_commands.Choice(name="grouped: several papers per message", value="grouped"),
            app_commands.Choice(
                name="single: one message per paper (react to vote)", value="single"
            ),
        ]
    )
    async def layout(interaction: discord.Interaction, layout: app_commands.Choice[str]) -> None:
        await _run(client, interaction, f"layout {layout.value}")

    @papers.command(name="boost", description="Rank upvoted, new or with-code papers higher")
    @app_commands.choices(boost=[app_commands.Choice(name=b, value=b) for b in BOOSTS], mode=ON_OFF)
    async def boost(
        interaction: discord.Interaction,
        boost: app_commands.Choice[str],
        mode: app_commands.Choice[str],
    ) -> None:
        await _run(client, interaction, f"boost {boost.value} {mode.value}")

    @papers.command(name="pause", description="Stop posting digests here")
    async def pause(interaction: discord.Interaction) -> None:
        await _run(client, interaction, "pause")

    @papers.command(name="resume", description="Post digests here again")
    async def resume(interaction: discord.Interaction) -> None:
        await _run(client, interaction, "resume")

    @papers.command(name="settings", description="Show this channel's settings")
    async def settings(interaction: discord.Interaction) -> None:
        await _run(client, interaction, "settings")

    @digest.command(name="now", description="Post a digest right now")
    async def digest_now(interaction: discord.Interaction) -> None:
        await _run(client, interaction, "digest now")

    @papers.command(name="preview", description="What the next digest would hold, and why")
    async def preview(interaction: discord.Interaction) -> None:
        await _run(client, interaction, "preview")

    @papers.command(name="search", description="Find papers")
    async def search(interaction: discord.Interaction, query: str) -> None:
        await _run(client, interaction, f"search {query}")

    @papers.command(name="summary", description="Summarise a paper: arXiv id, link or title")
    async def summary(interaction: discord.Interaction, paper: str) -> None:
        await _run(client, interaction, f"summary {paper}")

    @papers.command(name="status", description="Sources' health, last and next digest")
    async def status(interaction: discord.Interaction) -> None:
        await _run(client, interaction, "status")

    @papers.command(name="why", description="Why a paper was (not) posted here")
    @app_commands.describe(paper="arXiv id, link or title words")
    async def why(interaction: discord.Interaction, paper: str) -> None:
        await _run(client, interaction, f"why {paper}")

    @papers.command(name="panel", description="A private link to the web control panel")
    async def panel(interaction: discord.Interaction) -> None:
        await _run(client, interaction, "panel")

    return papers
