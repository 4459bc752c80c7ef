"""Posting digests to Slack: chat.postMessage with retries, and a clear verdict on refusals."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.charts import draw_trends
from bot.pacing import ChannelPacer
from bot.slack_app.render import SlackMessage, escape, plain, render_alert, render_digest
from digest.compose import Digest, truncate
from digest.errors import DeliveryRefused
from digest.models import Channel
from digest.ports import QUIET_DIGEST_ARRIVED, SentMessage
from digest.ratelimits import note_rate_limited
from digest.trends import Trends

__all__ = [
    "PERMANENT_ERRORS",
    "SLACK_MESSAGE_INTERVAL",
    "SlackPublisher",
    "make_client",
    "trends_filename",
]

log = logging.getLogger(__name__)
# Errors that no retry can fix: the channel pauses with the reason until someone resumes it.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "account_inactive",
        "invalid_auth",
        "token_revoked",
        "missing_scope",
        "restricted_action",
        "team_access_not_granted",
    }
)
ClientFor = Callable[[str], Awaitable[AsyncWebClient]]
# chat.postMessage allows one message per second per channel (short bursts aside).
SLACK_MESSAGE_INTERVAL = 1.0


class _LoggedRateLimitRetry(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's 429 retry (it waits Retry-After), telling the delivery log how long."""

    async def prepare_for_next_attempt_async(self, **kwargs: Any) -> None:
        started = time.monotonic()
        try:
            await super().prepare_for_next_attempt_async(**kwargs)
        finally:
            request = kwargs.get("request")
            method = str(getattr(request, "url", "")).rsplit("/", 1)[-1] or "Slack"
            note_rate_limited(time.monotonic() - started, f"Slack 429 on {method}")


def make_client(
    token: str | None, base_url: str, session: aiohttp.ClientSession | None = None
) -> AsyncWebClient:
    """A Web API client that retries 429s after Retry-After, 5xx and dropped connections.

    Pass a shared ``session`` to reuse connections (without one, every call opens its own)."""
    # slack_sdk formats a debug line with the whole request whenever its logger's own level
    # is unset (0 <= DEBUG), even when nothing would print it: pin the level it inherits.
    sdk_log = logging.getLogger("slack_sdk.web.async_client")
    sdk_log.setLevel(sdk_log.getEffectiveLevel())
    client = AsyncWebClient(token=token, base_url=base_url, session=session, logger=sdk_log)
    client.retry_handlers = [
        AsyncConnectionErrorRetryHandler(max_retry_count=2),
        _LoggedRateLimitRetry(max_retry_count=3),
        AsyncServerErrorRetryHandler(max_retry_count=2),
    ]
    return client


class SlackPublisher:
    """Publishes to the digest's channel with its workspace's bot token, paced to Slack's
    limit of about one message per second per channel."""

    def __init__(self, client_for: ClientFor, pacer: ChannelPacer | None = None) -> None:
        self._client_for = client_for
        self._pacer = pacer or ChannelPacer(SLACK_MESSAGE_INTERVAL)
        self._dms: dict[tuple[str, str], str] = {}  # (workspace, user) -> DM channel

    async def _target(self, client: AsyncWebClient, channel: Channel) -> str:
        """Where the channel's messages go: the channel, or for a personal digest the direct
        message with its person (conversations.open; Slack gives the same DM each time)."""
        user = channel.personal_user
        if user is None:
            return channel.channel_id
        key = (channel.workspace_id, user)
        if key not in self._dms:
            try:
                response = await client.conversations_open(users=user)
            except SlackApiError as exc:
                error = str(exc.response.get("error", "unknown_error"))
                if error in PERMANENT_ERRORS or error in ("user_not_found", "users_not_found"):
                    raise DeliveryRefused(f"Slack: {error}") from None
                raise
            self._dms[key] = str((response.get("channel") or {})["id"])
        return self._dms[key]

    async def post_trends(
        self, channel: Channel, trends: Trends, delivery_tag: str, *, comment: str | None = None
    ) -> str:
        """Uploads the trends picture into the channel (files upload v2: an upload URL, the
        bytes, then completeUploadExternal shares it); returns the file id."""
        client = await self._client_for(channel.workspace_id)
        target = await self._target(client, channel)
        content = await asyncio.to_thread(draw_trends, trends)  # CPU work, off the loop
        title = f"{trends.title} ({trends.period})"
        try:
            async with self._pacer.turn(f"{channel.workspace_id}/{target}"):
                response = await client.files_upload_v2(
                    channel=target,
                    content=content,
                    filename=trends_filename(delivery_tag),
                    title=plain(title),
                    alt_txt=plain(truncate(_alt_text(trends), 1000)),
                    initial_comment=escape(comment or title),
                )
        except SlackApiError as exc:
            error = str(exc.response.get("error", "unknown_error"))
            if error in PERMANENT_ERRORS:
                raise DeliveryRefused(f"Slack: {error}") from None
            raise
        files = response.get("files") or [response.get("file") or {}]
        return str(files[0].get("id") or "")

    async def publish(self, digest: Digest, delivery_tag: str) -> list[SentMessage]:
        channel = digest.channel
        if digest.kind == "trends" and digest.trends is not None:
            file_id = await self.post_trends(channel, digest.trends, delivery_tag)
            return [SentMessage(file_id)]
        client = await self._client_for(channel.workspace_id)
        target = await self._target(client, channel)
        sent: list[SentMessage] = []
        thread_ts: str | None = None
        messages = [render_alert(digest)] if digest.kind == "alert" else render_digest(digest)
        # (The single layout's first message already is a one-line header.)
        threaded = digest.kind == "digest" and channel.delivery_mode == "thread"
        if threaded and not digest.is_empty and channel.layout != "single":
            # A one-line message in the channel; the digest itself in its thread.
            count = len(digest.items)
            messages.insert(
                0, SlackMessage(text=f"{digest.title}: {count} papers in the thread", blocks=[])
            )
        for part, message in enumerate(messages):
            try:
                async with self._pacer.turn(f"{channel.workspace_id}/{target}"):
                    response = await client.chat_postMessage(
                        channel=target,
                        text=message.text,
                        blocks=message.blocks or None,
                        thread_ts=thread_ts,
                        unfurl_links=False,
                        unfurl_media=False,
                        # Tags the message so a restart can tell what already arrived.
                        metadata={
                            "event_type": "paperboy_digest",
                            "event_payload": {
                                "delivery": delivery_tag,
                                "part": part,
                                "papers": list(message.papers),
                            },
                        },
                    )
            except SlackApiError as exc:
                error = str(exc.response.get("error", "unknown_error"))
                if error in PERMANENT_ERRORS:
                    raise DeliveryRefused(f"Slack: {error}") from None
                raise
            ts = str(response["ts"])
            sent.append(SentMessage(ts, message.papers))
            thread_ts = thread_ts or ts
        log.info(
            "digest posted",
            extra={
                "channel": channel.address,
                "messages": len(sent),
                "delivery": delivery_tag,
            },
        )
        return sent

    async def find_sent(self, digest: Digest, delivery_tag: str) -> dict[str, str]:
        """Papers of this delivery that the channel (or the digest's thread) already shows,
        with the message showing each, read from the metadata every paperboy message carries."""
        channel = digest.channel
        client = await self._client_for(channel.workspace_id)
        found: dict[str, str] = {}
        try:
            target = await self._target(client, channel)
            history = await client.conversations_history(
                channel=target, limit=100, include_all_metadata=True
            )
            messages = list(history.get("messages") or [])
            for message in list(messages):
                if _tag(message) == delivery_tag and message.get("ts"):
                    replies = await client.conversations_replies(
                        channel=target, ts=message["ts"], include_all_metadata=True
                    )
                    messages.extend(replies.get("messages") or [])
        except SlackApiError as exc:
            error = str(exc.response.get("error", "unknown_error"))
            if error in PERMANENT_ERRORS:
                raise DeliveryRefused(f"Slack: {error}") from None
            raise
        picture = trends_filename(delivery_tag)
        for message in messages:
            files = message.get("files") or []
            if digest.kind == "trends" and any(f.get("name") == picture for f in files):
                found[QUIET_DIGEST_ARRIVED] = str(files[0].get("id") or message.get("ts"))
            if _tag(message) == delivery_tag:
                payload = (message.get("metadata") or {}).get("event_payload") or {}
                ts = str(message.get("ts") or "")
                found.update((str(k), ts) for k in payload.get("papers") or [])
                if digest.is_empty:
                    found[QUIET_DIGEST_ARRIVED] = ts
        return found


def trends_filename(delivery_tag: str) -> str:
    """A trends picture's file name carries its tag: how a restart finds it arrived."""
    return f"paperboy-trends-{delivery_tag}.png"


def _alt_text(trends: Trends) -> str:
    counts = "; ".join(f"{s.label}: {', '.join(map(str, s.counts))}" for s in trends.series)
    return f"Papers matched per week ({trends.period}). {counts}"


def _tag(message: dict[str, object]) -> str | None:
    metadata = message.get("metadata")
    if not isinstance(metadata, dict) or metadata.get("event_type") != "paperboy_digest":
        return None
    payload = metadata.get("event_payload")
    return str(payload.get("delivery")) if isinstance(payload, dict) else None
