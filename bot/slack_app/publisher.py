"""Posting digests to Slack: chat.postMessage with retries, and a clear verdict on refusals."""

from __future__ import annotations

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

from bot.pacing import ChannelPacer
from bot.slack_app.render import SlackMessage, render_digest
from digest.compose import Digest
from digest.errors import DeliveryRefused
from digest.ports import QUIET_DIGEST_ARRIVED, SentMessage
from digest.ratelimits import note_rate_limited

__all__ = ["PERMANENT_ERRORS", "SLACK_MESSAGE_INTERVAL", "SlackPublisher", "make_client"]

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

    async def publish(self, digest: Digest, delivery_tag: str) -> list[SentMessage]:
        channel = digest.channel
        client = await self._client_for(channel.workspace_id)
        sent: list[SentMessage] = []
        thread_ts: str | None = None
        messages = render_digest(digest)
        # (The single layout's first message already is a one-line header.)
        if channel.delivery_mode == "thread" and not digest.is_empty and channel.layout != "single":
            # A one-line message in the channel; the digest itself in its thread.
            count = len(digest.items)
            messages.insert(
                0, SlackMessage(text=f"{digest.title}: {count} papers in the thread", blocks=[])
            )
        for part, message in enumerate(messages):
            try:
                async with self._pacer.turn(f"{channel.workspace_id}/{channel.channel_id}"):
                    response = await client.chat_postMessage(
                        channel=channel.channel_id,
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
            history = await client.conversations_history(
                channel=channel.channel_id, limit=100, include_all_metadata=True
            )
            messages = list(history.get("messages") or [])
            for message in list(messages):
                if _tag(message) == delivery_tag and message.get("ts"):
                    replies = await client.conversations_replies(
                        channel=channel.channel_id, ts=message["ts"], include_all_metadata=True
                    )
                    messages.extend(replies.get("messages") or [])
        except SlackApiError as exc:
            error = str(exc.response.get("error", "unknown_error"))
            if error in PERMANENT_ERRORS:
                raise DeliveryRefused(f"Slack: {error}") from None
            raise
        for message in messages:
            if _tag(message) == delivery_tag:
                payload = (message.get("metadata") or {}).get("event_payload") or {}
                ts = str(message.get("ts") or "")
                found.update((str(k), ts) for k in payload.get("papers") or [])
                if digest.is_empty:
                    found[QUIET_DIGEST_ARRIVED] = ts
        return found


def _tag(message: dict[str, object]) -> str | None:
    metadata = message.get("metadata")
    if not isinstance(metadata, dict) or metadata.get("event_type") != "paperboy_digest":
        return None
    payload = metadata.get("event_payload")
    return str(payload.get("delivery")) if isinstance(payload, dict) else None
