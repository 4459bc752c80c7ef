"""A local fake Discord: REST (`/api/v10/...`) and a gateway WebSocket the unmodified
discord.py client connects to. Faithful where clients notice: ``Content-Type:
application/json`` exactly, JSON interaction callbacks, 429s with a ``Via`` header and a JSON
``retry_after``. Records what the bot sent.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes import serve

__all__ = ["APP_ID", "BOT_ID", "GUILD_ID", "FakeDiscord", "fake_discord"]

APP_ID = "900000000000000001"
BOT_ID = "900000000000000002"
GUILD_ID = "800000000000000001"
CHANNELS = {
    "700000000000000001": "papers",
    "700000000000000002": "forbidden",
    "700000000000000003": "paper-forum",
}
FORUM = "700000000000000003"
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
_snowflakes = itertools.count(600000000000000001)


def snowflake() -> str:
    return str(next(_snowflakes))


def _user(user_id: str, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": user_id,
        "username": name,
        "discriminator": "0",
        "global_name": name,
        "avatar": None,
        "bot": bot,
    }


@dataclass
class Sent:
    route: str
    body: dict[str, Any]
    at: float = field(default_factory=time.monotonic)  # when the fake received it


@dataclass
class FakeDiscord:
    base_url: str = ""
    sent: list[Sent] = field(default_factory=list)
    # channel id -> messages posted there (what a person would see)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    scripted: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    forbidden_channels: set[str] = field(default_factory=lambda: {"700000000000000002"})
    identified: asyncio.Event = field(default_factory=asyncio.Event)
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)
    _seq: Any = field(default_factory=lambda: itertools.count(1))
    commands: list[dict[str, Any]] = field(default_factory=list)
    threads: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Discord remembers a message's nonce for a few minutes (enforce_nonce); tests shorten it.
    nonce_window: float = 300.0
    # Answer the n-th message post (counting from 1) with a 400, as a failure mid-digest.
    fail_post_number: int | None = None
    unreadable_channels: set[str] = field(default_factory=set)  # no Read Message History
    _posts: int = 0
    # Files sent as multipart attachments: (channel id or "followups", filename, bytes).
    files: list[tuple[str, str, bytes]] = field(default_factory=list)
    # DM channels the bot opened (POST /users/@me/channels): user id -> channel id.
    dms: dict[str, str] = field(default_factory=dict)
    _created: dict[str, float] = field(default_factory=dict)  # message id -> monotonic time

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return self.base_url.replace("http", "ws", 1) + "/gateway"

    def fail(self, kind: str, status: int, times: int = 1, **body: Any) -> None:
        self.scripted.setdefault(kind, []).extend([(status, body)] * times)

    def routes(self, prefix: str) -> list[Sent]:
        return [s for s in self.sent if s.route.startswith(prefix)]

    # --- REST -----------------------------------------------------------------------------
    @staticmethod
    def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
        # Exactly "application/json", as Discord sends it (no charset parameter).
        return web.Response(
            body=json.dumps(data).encode(),
            status=status,
            headers={"Content-Type": "application/json", **(headers or {})},
        )

    def _scripted(self, kind: str) -> web.Response | None:
        queue = self.scripted.get(kind)
        if not queue:
            return None
        status, body = queue.pop(0)
        if status == 429:
            payload = {
                "message": "You are being rate limited.",
                "retry_after": 0.05,
                "global": False,
            }
            return self._json(
                payload, 429, {"Via": "1.1 google", "Retry-After": "1", "X-RateLimit-Scope": "user"}
            )
        return self._json(
            {"message": body.get("message", "error"), "code": body.get("code", 0)}, status
        )

    def _message(self, channel_id: str, body: dict[str, Any], *, flags: int = 0) -> dict[str, Any]:
        return {
            "id": snowflake(),
            "channel_id": channel_id,
            "type": 0,
            "content": body.get("content") or "",
            "author": _user(BOT_ID, "paperboy", bot=True),
            "timestamp": "2026-06-12T08:00:00.000000+00:00",
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [
                {
                    "id": snowflake(),
                    "filename": name,
                    "size": len(content),
                    "url": f"{self.base_url}/attachments/{channel_id}/{name}",
                    "proxy_url": f"{self.base_url}/attachments/{channel_id}/{name}",
                    "content_type": "image/png" if name.endswith(".png") else None,
                }
                for name, content in body.get("_files", [])
            ],
            "embeds": body.get("embeds") or [],
            "pinned": False,
            "flags": flags | int(body.get("flags") or 0),
            "components": body.get("components") or [],
            "nonce": body.get("nonce"),
        }

    async def _rest(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        body: dict[str, Any] = {}
        if request.can_read_body and request.content_type == "multipart/form-data":
            # Messages with attachments: the JSON as payload_json, each file as files[n].
            files: list[tuple[str, bytes]] = []
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                assert not isinstance(part, type(reader))  # no nested multipart
                if part.name == "payload_json":
                    body = json.loads(await part.read())
                elif part.name and part.name.startswith("files["):
                    files.append((part.filename or "file", bytes(await part.read())))
            body["_files"] = files
        elif request.can_read_body:
            raw = await request.read()
            if raw:
                body = json.loads(raw)
        route = f"{request.method} /{path}"
        self.sent.append(Sent(route=route, body=body))
        parts = path.split("/")
        if path == "users/@me":
            return self._json(_user(BOT_ID, "paperboy", bot=True))
        if path == "users/@me/channels" and request.method == "POST":  # open a DM
            recipient = str(body.get("recipient_id") or "")
            if not recipient.isdigit():
                return self._json({"message": "Invalid Form Body", "code": 50035}, 400)
            channel_id = self.dms.setdefault(recipient, snowflake())
            return self._json(
                {
                    "id": channel_id,
                    "type": 1,
                    "last_message_id": None,
                    "flags": 0,
                    "recipients": [_user(recipient, f"user{recipient[-4:]}")],
                }
            )
        if path == "oauth2/applications/@me":
            return self._json(
                {
                    "id": APP_ID,
                    "name": "paperboy",
                    "icon": None,
                    "description": "",
                    "bot_public": True,
                    "bot_require_code_grant": False,
                    "verify_key": "0" * 64,
                    "flags": 0,
                    "team": None,
                    "owner": _user("500000000000000001", "owner"),
                }
            )
        if path == "gateway/bot":
            return self._json(
                {
                    "url": self.gateway_url,
                    "shards": 1,
                    "session_start_limit": {
                        "total": 1000,
                        "remaining": 999,
                        "reset_after": 0,
                        "max_concurrency": 1,
                    },
                }
            )
        if path == "gateway":
            return self._json({"url": self.gateway_url})
        if parts[0] == "applications" and parts[-1] == "commands":  # global or per guild
            if request.method == "PUT":
                self.commands = body if isinstance(body, list) else []
                return self._json(
                    [
                        {**c, "id": snowflake(), "application_id": APP_ID, "version": "1"}
                        for c in self.commands
                    ]
                )
            return self._json(self.commands)
        if parts[0] == "interactions" and parts[-1] == "callback":
            scripted = self._scripted("callback")
            if scripted:
                return scripted
            flags = int((body.get("data") or {}).get("flags") or 0)
            return self._json(
                {
                    "interaction": {
                        "id": parts[1],
                        "type": 2,
                        "response_message_loading": body.get("type") == 5,
                        "response_message_ephemeral": bool(flags & 64),
                    }
                }
            )
        if parts[0] == "webhooks":
            if request.method == "POST":
                message = self._message("700000000000000001", body)
                self.messages.setdefault("followups", []).append(message)
                self.files.extend(("followups", n, c) for n, c in body.get("_files", []))
                return self._json(message)
            return self._json(self._message("700000000000000001", body))
        if parts[0] == "channels" and len(parts) == 3 and parts[2] == "threads":
            thread_id = snowflake()
            thread = {
                "id": thread_id,
                "type": 11,
                "name": body.get("name", "thread"),
                "guild_id": GUILD_ID,
                "parent_id": parts[1],
                "owner_id": BOT_ID,
                "member_count": 1,
                "message_count": 0,
                "rate_limit_per_user": 0,
                "flags": 0,
                "last_message_id": None,
                "thread_metadata": {
                    "archived": False,
                    "auto_archive_duration": 1440,
                    "archive_timestamp": "2026-06-12T08:00:00+00:00",
                    "locked": False,
                },
            }
            self.threads[thread_id] = thread
            if "message" in body:  # a forum post: the thread starts with a message
                message = self._message(thread_id, body["message"])
                self.messages.setdefault(thread_id, []).append(message)
                return self._json({**thread, "message": message})
            return self._json(thread, 201)
        if parts[0] == "channels" and len(parts) >= 3 and parts[2] == "messages":
            channel_id = parts[1]
            if channel_id in self.forbidden_channels:
                return self._json({"message": "Missing Access", "code": 50001}, 403)
            known = CHANNELS.keys() | self.threads.keys() | set(self.dms.values())
            if channel_id not in known:
                return self._json({"message": "Unknown Channel", "code": 10003}, 404)
            scripted = self._scripted("messages")
            if scripted:
                return scripted
            if request.method == "GET" and channel_id in self.unreadable_channels:
                return self._json({"message": "Missing Access", "code": 50001}, 403)
            if request.method == "GET":  # newest first, at most ?limit=
                limit = int(request.query.get("limit", "50"))
                return self._json(list(reversed(self.messages.get(channel_id, [])))[:limit])
            now = time.monotonic()
            existing = [
                m
                for m in self.messages.get(channel_id, [])
                if body.get("nonce")
                and m.get("nonce") == body.get("nonce")
                and now - self._created.get(m["id"], now) <= self.nonce_window
            ]
            if request.method == "POST" and body.get("enforce_nonce") and existing:
                return self._json(existing[0])  # Discord's idempotent re-send
            if request.method == "POST":
                self._posts += 1
                if self._posts == self.fail_post_number:
                    return self._json({"message": "Invalid Form Body", "code": 50035}, 400)
            message = self._message(channel_id, body)
            if request.method == "POST":
                self.messages.setdefault(channel_id, []).append(message)
                self._created[message["id"]] = now
                self.files.extend((channel_id, n, c) for n, c in body.get("_files", []))
            return self._json(message)
        if parts[0] == "guilds" and parts[-2:] == ["threads", "active"]:
            return self._json({"threads": list(self.threads.values()), "members": []})
        if parts[0] == "channels":
            channel_id = parts[1]
            if channel_id not in CHANNELS:
                return self._json({"message": "Unknown Channel", "code": 10003}, 404)
            return self._json(self._channel(channel_id))
        return self._json({"message": "404: Not Found", "code": 0}, 404)

    def _channel(self, channel_id: str) -> dict[str, Any]:
        if channel_id in self.threads:
            return self.threads[channel_id]
        return {
            "id": channel_id,
            "type": 15 if channel_id == FORUM else 0,
            "available_tags": [],
            "default_reaction_emoji": None,
            "flags": 0,
            "name": CHANNELS[channel_id],
            "guild_id": GUILD_ID,
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "parent_id": None,
        }

    # --- gateway --------------------------------------------------------------------------
    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 45000}}))
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                continue
            payload = json.loads(message.data)
            if payload["op"] == 1:
                await ws.send_str(json.dumps({"op": 11}))
            elif payload["op"] == 2:
                await self._ready(ws)
        self._sockets.remove(ws)
        return ws

    async def _dispatch(self, ws: web.WebSocketResponse, event: str, data: dict[str, Any]) -> None:
        await ws.send_str(json.dumps({"op": 0, "t": event, "s": next(self._seq), "d": data}))

    async def _ready(self, ws: web.WebSocketResponse) -> None:
        await self._dispatch(
            ws,
            "READY",
            {
                "v": 10,
                "user": _user(BOT_ID, "paperboy", bot=True),
                "guilds": [{"id": GUILD_ID, "unavailable": True}],
                "session_id": "session-1",
                "resume_gateway_url": self.gateway_url,
                "shard": [0, 1],
                "application": {"id": APP_ID, "flags": 0},
                "private_channels": [],
                "relationships": [],
                "user_settings": {},
                "presences": [],
            },
        )
        await self._dispatch(
            ws,
            "GUILD_CREATE",
            {
                "id": GUILD_ID,
                "name": "Research Lab",
                "icon": None,
                "owner_id": "500000000000000001",
                "unavailable": False,
                "member_count": 2,
                "large": False,
                "joined_at": "2026-01-01T00:00:00+00:00",
                "features": [],
                "emojis": [],
                "stickers": [],
                "roles": [
                    {
                        "id": GUILD_ID,
                        "name": "@everyone",
                        "permissions": "1024",
                        "position": 0,
                        "color": 0,
                        "hoist": False,
                        "managed": False,
                        "mentionable": False,
                        "flags": 0,
                    }
                ],
                "channels": [self._channel(c) for c in CHANNELS],
                "threads": [],
                "members": [],
                "voice_states": [],
                "presences": [],
                "stage_instances": [],
                "guild_scheduled_events": [],
                "preferred_locale": "en-US",
                "verification_level": 0,
                "default_message_notifications": 0,
                "explicit_content_filter": 0,
                "mfa_level": 0,
                "premium_tier": 0,
                "nsfw_level": 0,
                "system_channel_flags": 0,
            },
        )
        self.identified.set()

    async def interact(
        self,
        data: dict[str, Any],
        *,
        kind: int = 2,
        manager: bool = False,
        user: str = "500000000000000002",
        channel: str = "700000000000000001",
        message: dict[str, Any] | None = None,
    ) -> str:
        """Dispatch INTERACTION_CREATE to every connected client; returns the token."""
        token = f"token-{snowflake()}"
        permissions = (MANAGE_GUILD | MANAGE_CHANNELS) if manager else 1024 | 2048
        payload: dict[str, Any] = {
            "id": snowflake(),
            "application_id": APP_ID,
            "type": kind,
            "token": token,
            "version": 1,
            "guild_id": GUILD_ID,
            "channel_id": channel,
            "channel": {} if channel in self.dms.values() else self._channel(channel),
            "member": {
                "user": _user(user, "ada"),
                "roles": [],
                "permissions": str(permissions),
                "joined_at": "2026-01-01T00:00:00+00:00",
                "deaf": False,
                "mute": False,
                "flags": 0,
                "nick": None,
                "avatar": None,
            },
            "data": data,
            "locale": "en-US",
            "guild_locale": "en-US",
            "app_permissions": str(permissions | (1 << 11) | (1 << 14)),
            "entitlements": [],
            "authorizing_integration_owners": {"0": GUILD_ID},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if channel in self.dms.values():
            # A direct message belongs to no server: the person is "user", not "member".
            for key in ("guild_id", "member", "guild_locale"):
                payload.pop(key)
            payload["user"] = _user(user, "ada")
            payload["channel"] = {
                "id": channel,
                "type": 1,
                "flags": 0,
                "last_message_id": None,
                "recipients": [_user(user, "ada")],
            }
            payload["context"] = 1
        if kind == 3:
            # A component press carries the message it was on, the pressed button included.
            button = {"type": 2, "style": 1, "label": "button", "custom_id": data["custom_id"]}
            message = message or self._message(channel, {})
            message["components"] = [{"type": 1, "components": [button]}]
        if message is not None:
            payload["message"] = message
        for ws in list(self._sockets):
            await self._dispatch(ws, "INTERACTION_CREATE", payload)
        return token

    async def react(
        self,
        message: dict[str, Any],
        emoji: str,
        *,
        user: str = "500000000000000002",
        added: bool = True,
    ) -> None:
        """Dispatch MESSAGE_REACTION_ADD (or _REMOVE) for a reaction on ``message``."""
        data: dict[str, Any] = {
            "user_id": user,
            "channel_id": message["channel_id"],
            "message_id": message["id"],
            "guild_id": GUILD_ID,
            "emoji": {"id": None, "name": emoji},
            "burst": False,
            "type": 0,
        }
        if added:  # only an add carries the member and the message's author
            data["message_author_id"] = BOT_ID
            data["burst_colors"] = []
            data["member"] = {
                "user": _user(user, "ada"),
                "roles": [],
                "joined_at": "2026-01-01T00:00:00+00:00",
                "deaf": False,
                "mute": False,
                "flags": 0,
            }
        event = "MESSAGE_REACTION_ADD" if added else "MESSAGE_REACTION_REMOVE"
        for ws in list(self._sockets):
            await self._dispatch(ws, event, data)

    def for_token(self, token: str) -> list[Sent]:
        return [s for s in self.sent if token in s.route]


@asynccontextmanager
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    app = web.Application()
    app.router.add_route("*", "/api/v10/{path:.*}", fake._rest)
    app.router.add_get("/gateway", fake._gateway)
    runner, base_url = await serve(app)
    fake.base_url = f"{base_url}"
    try:
        yield fake
    finally:
        for ws in list(fake._sockets):
            await ws.close()
        await runner.cleanup()
