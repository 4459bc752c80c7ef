"""A local fake of the Slack Web API (and of response_url endpoints), speaking the real wire
format: JSON, form or query parameters in; ``{"ok": ...}`` JSON out; 429 with Retry-After.

Records every call so tests assert on what the real slack_sdk client sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes import serve

__all__ = ["FakeSlack", "SlackCall", "fake_slack"]


@dataclass
class SlackCall:
    method: str
    params: dict[str, Any]
    token: str | None


@dataclass
class FakeSlack:
    base_url: str = ""
    calls: list[SlackCall] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)  # posts to response_url
    admins: set[str] = field(default_factory=set)
    # method -> queue of (status, headers, body) to answer before behaving normally
    scripted: dict[str, list[tuple[int, dict[str, str], dict[str, Any]]]] = field(
        default_factory=dict
    )
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Socket Mode: envelopes to push to the connected client, and its acknowledgements.
    socket_outbox: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    socket_acks: list[dict[str, Any]] = field(default_factory=list)
    socket_connections: int = 0
    post_delay: float = 0.0  # seconds chat.postMessage takes (a crash can land mid fan-out)
    # Slack's per-channel limit on chat.postMessage: a faster post gets 429 + Retry-After.
    per_channel_interval: float = 0.0
    rate_limited: int = 0
    _last_post: dict[str, float] = field(default_factory=dict)
    _received: dict[str, list[float]] = field(default_factory=dict)  # post times per channel
    _ts: Any = field(default_factory=lambda: itertools.count(1))
    # files upload v2: file id -> {"filename", "length", "title", "content" (bytes, once the
    # upload URL received them), "channel" (once completed)}
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    # conversations.open: user id -> the DM channel id Slack gives the bot with that user
    dms: dict[str, str] = field(default_factory=dict)

    def fail(
        self,
        method: str,
        *,
        status: int = 200,
        error: str | None = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        body = {"ok": False, "error": error or ("ratelimited" if status == 429 else "fatal_error")}
        self.scripted.setdefault(method, []).extend([(status, headers or {}, body)] * times)

    def called(self, method: str) -> list[SlackCall]:
        return [c for c in self.calls if c.method == method]

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def response_url(self, name: str = "1") -> str:
        return f"{self.base_url}/response/{name}"

    # --- the API --------------------------------------------------------------------------
    def _answer(self, method: str, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://test.slack.com/",
                "team": "Test",
                "user": "paperboy",
                "team_id": "T1",
                "user_id": "UBOT",
                "bot_id": "B1",
            }
        if method == "chat.postMessage":
            ts = f"{1700000000 + next(self._ts)}.000100"
            message = {
                "ts": ts,
                "text": params.get("text"),
                "blocks": params.get("blocks"),
                "metadata": params.get("metadata"),
                "thread_ts": params.get("thread_ts"),
            }
            self.history.setdefault(str(params.get("channel")), []).append(message)
            self._received.setdefault(str(params.get("channel")), []).append(time.monotonic())
            return {"ok": True, "channel": params.get("channel"), "ts": ts, "message": message}
        if method == "files.getUploadURLExternal":
            if not params.get("filename") or not str(params.get("length", "")).isdigit():
                return {"ok": False, "error": "invalid_arguments"}
            file_id = f"F{next(self._ts):06d}"
            self.files[file_id] = {
                "filename": params["filename"],
                "length": int(params["length"]),
                "alt_txt": params.get("alt_txt"),
            }
            return {
                "ok": True,
                "upload_url": f"{self.base_url}/upload/v1/{file_id}",
                "file_id": file_id,
            }
        if method == "files.completeUploadExternal":
            listed = params.get("files")
            listed = json.loads(listed) if isinstance(listed, str) else listed or []
            shared: list[dict[str, Any]] = []
            for entry in listed:
                stored = self.files.get(str(entry.get("id")))
                if stored is None or "content" not in stored:
                    return {"ok": False, "error": "file_not_found"}
                stored["title"] = entry.get("title")
                stored["channel"] = params.get("channel_id")
                shared.append(
                    {"id": entry["id"], "name": stored["filename"], "title": entry.get("title")}
                )
            channel = params.get("channel_id")
            if channel:  # shared: the file shows in the channel as a message
                ts = f"{1700000000 + next(self._ts)}.000100"
                message = {
                    "ts": ts,
                    "text": params.get("initial_comment") or "",
                    "files": shared,
                    "upload": True,
                    "thread_ts": params.get("thread_ts"),
                }
                self.history.setdefault(str(channel), []).append(message)
            return {"ok": True, "files": shared}
        if method == "conversations.open":
            users = str(params.get("users") or "")
            if not users or "," in users:
                return {"ok": False, "error": "users_not_found"}
            channel_id = self.dms.setdefault(users, f"D{len(self.dms) + 1:04d}{users}")
            return {"ok": True, "channel": {"id": channel_id, "is_im": True, "user": users}}
        if method == "conversations.history":  # top-level messages, newest first
            messages = [
                m
                for m in self.history.get(str(params.get("channel")), [])
                if not m.get("thread_ts")
            ]
            return {"ok": True, "messages": list(reversed(messages)), "has_more": False}
        if method == "conversations.replies":  # the parent, then its thread
            ts = str(params.get("ts"))
            messages = [
                m
                for m in self.history.get(str(params.get("channel")), [])
                if m["ts"] == ts or m.get("thread_ts") == ts
            ]
            return {"ok": True, "messages": messages, "has_more": False}
        if method == "users.info":
            user = str(params.get("user"))
            return {
                "ok": True,
                "user": {"id": user, "is_admin": user in self.admins, "is_owner": False},
            }
        if method == "oauth.v2.access":
            return {
                "ok": True,
                "app_id": "A1",
                "authed_user": {"id": "UINSTALLER"},
                "scope": "commands,chat:write",
                "token_type": "bot",
                "access_token": f"xoxb-installed-{params.get('code')}",
                "bot_user_id": "UBOT",
                "team": {"id": "T2", "name": "Second"},
                "enterprise": None,
                "is_enterprise_install": False,
            }
        if method == "apps.connections.open":
            return {"ok": True, "url": f"{self.base_url.replace('http', 'ws', 1)}/socket"}
        if method in ("chat.update", "views.open", "conversations.info", "chat.postEphemeral"):
            return {
                "ok": True,
                "channel": params.get("channel"),
                "ts": params.get("ts"),
                "view": params.get("view"),
            }
        return {"ok": False, "error": "unknown_method"}

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                params.update(dict(await request.post()))
        for key in ("blocks", "view", "metadata"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else params.get("token")
        self.calls.append(SlackCall(method=method, params=params, token=token))
        if method == "chat.postMessage" and self._over_the_limit(str(params.get("channel"))):
            self.rate_limited += 1
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"}
            )
        if method == "chat.postMessage" and self.post_delay:
            await asyncio.sleep(self.post_delay)
        queue = self.scripted.get(method)
        if queue:
            status, headers, body = queue.pop(0)
            return web.json_response(body, status=status, headers=headers)
        return web.json_response(self._answer(method, params, token))

    def _over_the_limit(self, channel: str) -> bool:
        if not self.per_channel_interval:
            return False
        now = time.monotonic()
        if now - self._last_post.get(channel, -1e9) < self.per_channel_interval:
            return True
        self._last_post[channel] = now
        return False

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode: hello, then each queued envelope; the client answers with acks."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.socket_connections += 1
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": 1,
                "debug_info": {"host": "fake"},
                "connection_info": {"app_id": "A1"},
            }
        )

        async def push() -> None:
            while True:
                await ws.send_json(await self.socket_outbox.get())

        pusher = asyncio.create_task(push())
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self.socket_acks.append(json.loads(message.data))
        finally:
            pusher.cancel()
        return ws

    def stats(self) -> dict[str, float]:
        """What the fake saw of digests: posts, 429s, and papers posted twice to a channel."""
        duplicates = 0
        for messages in self.history.values():
            seen: set[str] = set()
            for message in messages:
                payload = (message.get("metadata") or {}).get("event_payload") or {}
                for key in payload.get("papers") or []:
                    duplicates += key in seen
                    seen.add(key)
        # How long each channel took from its first message to its last, per gap the rate
        # limit imposes (1.0 = paced exactly at the limit).
        spans = sorted(
            (times[-1] - times[0]) / (len(times) - 1) / (self.per_channel_interval or 1.0)
            for times in self._received.values()
            if len(times) > 1
        )
        return {
            "channel_span_per_gap_median": round(spans[len(spans) // 2], 3) if spans else 0.0,
            "channels": len(self.history),
            "posts": sum(len(m) for m in self.history.values()),
            "most_posts_in_a_channel": max((len(m) for m in self.history.values()), default=0),
            "rate_limited": self.rate_limited,
            "duplicate_papers": duplicates,
        }

    async def _stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.stats())

    async def _upload(self, request: web.Request) -> web.Response:
        """An upload URL of files.getUploadURLExternal: the file's bytes as the body."""
        stored = self.files.get(request.match_info["file_id"])
        if stored is None:
            return web.Response(status=404, text="unknown upload")
        content = await request.read()
        stored["content"] = content
        return web.Response(text=f"OK - {len(content)}")

    async def _respond(self, request: web.Request) -> web.Response:
        self.responses.append(await request.json())
        return web.Response(text="ok")


@asynccontextmanager
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    app = web.Application()
    app.router.add_route("*", "/api/{method}", fake._api)
    app.router.add_post("/response/{name}", fake._respond)
    app.router.add_post("/upload/v1/{file_id}", fake._upload)
    app.router.add_get("/socket", fake._socket)
    app.router.add_get("/stats", fake._stats)
    runner, base_url = await serve(app)
    fake.base_url = f"{base_url}"
    try:
        yield fake
    finally:
        await runner.cleanup()


async def _serve_forever(per_channel_interval: float) -> None:
    async with fake_slack() as fake:
        fake.per_channel_interval = per_channel_interval
        print(fake.base_url, flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":  # a fake in a process of its own, for `make bench`
    import argparse

    parser = argparse.ArgumentParser(description="A local fake of the Slack Web API")
    parser.add_argument("--per-channel-interval", type=float, default=1.0)
    arguments = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_forever(arguments.per_channel_interval))
