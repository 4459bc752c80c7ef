"""Bolt listeners: each acknowledges at once, calls the shared handlers, renders, replies."""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import App
from bot.handlers import CommandContext
from bot.slack_app.modal import CALLBACK_ID, build_settings_view, read_submission
from bot.slack_app.publisher import SlackPublisher
from bot.slack_app.render import (
    ACTION_CANCEL,
    ACTION_CONFIRM,
    ACTION_LESS,
    ACTION_MORE,
    ACTION_SHARE,
    ACTION_SUMMARY,
    render_reply,
    vote_line,
)
from digest.compose import Reply
from digest.errors import DeliveryRefused
from digest.models import PERSONAL_PREFIX, Platform
from digest.ports import Feedback
from digest.reactions import ReactionOutcome

__all__ = ["register_listeners"]

log = logging.getLogger(__name__)
AMBIGUOUS_REACTION = (
    "That message shows several papers, so a reaction cannot say which one you mean. "
    "Use the 👍/👎 buttons under a paper, or `/papers layout single` for one message per paper."
)


async def _is_admin(client: AsyncWebClient, user_id: str) -> bool:
    try:
        response = await client.users_info(user=user_id)
    except SlackApiError as exc:
        log.warning(
            "users.info failed", extra={"user": user_id, "error": exc.response.get("error")}
        )
        return False
    user = response.get("user") or {}
    return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))


def register_listeners(app: AsyncApp, paperboy: App, publisher: SlackPublisher) -> None:
    repository = paperboy.repository

    async def context_for(
        client: AsyncWebClient,
        team_id: str,
        channel_id: str,
        user_id: str,
        channel_name: str | None = None,
    ) -> CommandContext:
        workspace = repository.ensure_workspace(Platform.SLACK, team_id)
        # Only ask Slack who the user is when the workspace restricts settings.
        manager = await _is_admin(client, user_id) if workspace.restrict_settings else False
        return CommandContext(
            platform=Platform.SLACK,
            workspace_id=team_id,
            channel_id=channel_id,
            user_id=user_id,
            channel_name=channel_name,
            is_manager=manager,
            publisher=publisher,
        )

    @app.command("/papers")
    async def papers(
        ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()  # within Slack's 3 seconds; the answer follows through response_url
        text = command.get("text") or ""
        team, channel_id, user = command["team_id"], command["channel_id"], command["user_id"]
        if text.strip().lower() == "settings" and command.get("trigger_id"):
            channel = repository.ensure_channel(
                Platform.SLACK, team, channel_id, name=command.get("channel_name")
            )
            workspace = repository.ensure_workspace(Platform.SLACK, team)
            try:
                await client.views_open(
                    trigger_id=command["trigger_id"],
                    view=build_settings_view(
                        channel, workspace, is_admin=await _is_admin(client, user)
                    ),
                )
                return
            except SlackApiError as exc:  # e.g. an expired trigger: fall back to text
                log.warning("views.open failed", extra={"error": exc.response.get("error")})
        ctx = await context_for(client, team, channel_id, user, command.get("channel_name"))
        try:
            reply = await paperboy.handlers.handle(text, ctx)
        except Exception:  # acknowledged already: the person still gets an answer
            log.exception("command crashed", extra={"channel": channel_id, "team": team})
            reply = Reply(text="Sorry, that failed unexpectedly; it has been logged.", error=True)
        await respond(**render_reply(reply))
        if reply.trends is not None:  # the picture itself, as a file in the channel
            channel = repository.ensure_channel(Platform.SLACK, team, channel_id)
            tag = f"request-{command.get('trigger_id') or paperboy.clock.now().timestamp()}"
            try:
                await publisher.post_trends(channel, reply.trends, tag[:80])
            except (DeliveryRefused, SlackApiError) as exc:
                log.warning("could not post a trends picture", extra={"error": str(exc)})
                await respond(
                    text=f"The picture could not be posted here ({exc}). Invite paperboy "
                    "to the channel first.",
                    response_type="ephemeral",
                    replace_original=False,
                )

    @app.action(re.compile(f"^({ACTION_MORE}|{ACTION_LESS})$"))
    async def vote(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        team = body["team"]["id"]
        channel_id = body["channel"]["id"]
        key = action["value"]
        if channel_id.startswith("D"):  # a direct message: the person's own digest learns
            channel_id = PERSONAL_PREFIX + body["user"]["id"]
        channel = repository.ensure_channel(Platform.SLACK, team, channel_id)
        assert channel.id is not None
        value = 1 if action["action_id"] == ACTION_MORE else -1
        repository.record_feedback(
            Feedback(
                channel_id=channel.id,
                paper_key=key,
                user_id=body["user"]["id"],
                value=value,
                at=paperboy.clock.now(),
            )
        )
        votes = [f.value for f in repository.list_feedback(channel.id) if f.paper_key == key]
        message = body.get("message") or {}
        blocks = _with_votes(
            message.get("blocks") or [], key, vote_line(votes.count(1), votes.count(-1))
        )
        try:
            await client.chat_update(
                channel=body["channel"]["id"],
                ts=message["ts"],
                blocks=blocks,
                text=message.get("text", ""),
            )
        except (SlackApiError, KeyError) as exc:
            log.warning("could not update the digest after a vote", extra={"error": str(exc)})

    async def on_reaction(
        event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient, *, added: bool
    ) -> None:
        item = event.get("item") or {}
        if item.get("type") != "message" or not item.get("ts") or not event.get("user"):
            return
        where = str(item.get("channel") or "")
        if where.startswith("D"):  # a direct message: the person's own digest
            where = f"{PERSONAL_PREFIX}{event['user']}"
        result = paperboy.reactions.react(
            platform=Platform.SLACK,
            workspace_id=str(body.get("team_id") or ""),
            channel_id=where,
            message_id=str(item["ts"]),
            user_id=str(event["user"]),
            emoji=str(event.get("reaction") or ""),
            added=added,
        )
        if added and result.outcome is ReactionOutcome.AMBIGUOUS:
            try:  # only the person who reacted sees how to vote on one paper
                await client.chat_postEphemeral(
                    channel=str(item["channel"]), user=str(event["user"]), text=AMBIGUOUS_REACTION
                )
            except SlackApiError as exc:
                log.warning("could not explain a reaction", extra={"error": str(exc)})

    @app.event("reaction_added")
    async def reaction_added(
        event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await on_reaction(event, body, client, added=True)

    @app.event("reaction_removed")
    async def reaction_removed(
        event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await on_reaction(event, body, client, added=False)

    async def run_for(body: dict[str, Any], client: AsyncWebClient, text: str) -> Reply:
        """A button runs a /papers command as the person who pressed it, where they did."""
        ctx = await context_for(
            client, body["team"]["id"], body["channel"]["id"], body["user"]["id"]
        )
        return await paperboy.handlers.handle(text, ctx)

    @app.action(ACTION_SUMMARY)
    async def summarise(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
    ) -> None:
        await ack()
        reply = await run_for(body, client, f"summary {action['value']}")
        await respond(**render_reply(reply), replace_original=False)

    @app.action(ACTION_SHARE)
    async def share(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
    ) -> None:
        """The asker shares a summary: it is posted in the channel, naming who shared it."""
        await ack()
        reply = await run_for(body, client, f"summary {action['value']}")
        sharer = body["user"].get("username") or body["user"].get("name") or "a member"
        shared = dataclasses.replace(
            reply, ephemeral=False, share_key=None, text=f"{reply.text} (shared by {sharer})"
        )
        rendered = render_reply(shared)
        await respond(**rendered, replace_original=False)

    @app.action(ACTION_CONFIRM)
    async def confirm(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
    ) -> None:
        await ack()
        reply = await run_for(body, client, action["value"])
        await respond(
            **render_reply(dataclasses.replace(reply, ephemeral=True)), replace_original=True
        )

    @app.action(ACTION_CANCEL)
    async def cancel(ack: AsyncAck, respond: AsyncRespond) -> None:
        await ack()
        await respond(delete_original=True)

    @app.view(CALLBACK_ID)
    async def save_settings(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        metadata = json.loads(view.get("private_metadata") or "{}")
        channel = repository.get_channel(int(metadata.get("channel", 0)))
        user = body["user"]["id"]
        if channel is None:
            await ack(response_action="errors", errors={"time": "This channel is unknown."})
            return
        workspace = repository.ensure_workspace(Platform.SLACK, channel.workspace_id)
        admin = await _is_admin(client, user)
        if workspace.restrict_settings and not admin:
            await ack(
                response_action="errors",
                errors={"time": "Only workspace admins can change these settings."},
            )
            return
        change, errors = read_submission(view, channel)
        if change is None:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        repository.save_channel(change.channel)
        if change.restrict_settings is not None and admin:
            repository.save_workspace(
                dataclasses.replace(workspace, restrict_settings=change.restrict_settings)
            )
        log.info("settings saved", extra={"channel": channel.address, "user": user})


def _with_votes(blocks: list[dict[str, Any]], key: str, votes: str) -> list[dict[str, Any]]:
    """The message's blocks with the paper's vote count shown (or updated) in its context."""
    updated = []
    for block in blocks:
        if block.get("block_id") == f"votes:{key}"[:255]:
            elements = list(block.get("elements") or [])[:1]
            elements.append({"type": "mrkdwn", "text": votes})
            block = {**block, "elements": elements}
        updated.append(block)
    return updated
