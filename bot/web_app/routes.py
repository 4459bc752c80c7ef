"""The control panel's routes under /panel/, served beside /healthz and /metrics.

Every change goes through the shared handlers as the `/papers` command a person would type;
every page checks the session cookie against the workspace in its path, and every channel
against that workspace, so nothing of another workspace is ever shown.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from bot.app import App
from bot.handlers import CommandContext
from bot.web_app.auth import AuthError, Grant, workspace_path
from bot.web_app.forms import ASKS, CHANGES, DAY_CHOICES, command_text
from bot.web_app.render import render
from bot.web_app.views import (
    boosts_of,
    channel_label,
    days_choice,
    delivery_log,
    interests_of,
    timezones,
    votes_of,
    workspace_channels,
)
from digest.compose import Reply
from digest.errors import UsageError
from digest.models import WEEKDAYS, Channel, Platform
from digest.ports import Publisher
from digest.schedule import next_run

__all__ = ["COOKIE", "panel_routes"]

log = logging.getLogger(__name__)
COOKIE = "paperboy_panel"
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}
_DENIED = {
    "missing or malformed": "There is no valid panel session here.",
    "altered or not ours": "This link or session was altered, or was not made by this paperboy.",
    "malformed": "This link or session cannot be read.",
    "expired": "This link or session has expired.",
    "another workspace": "Your session is for another workspace.",
    "another channel": "That channel is not part of this workspace.",
    "csrf": "This form is stale or did not come from the panel: reload the page and try again.",
}


def _page(template: str, *, status: int = 200, **values: Any) -> web.Response:
    return web.Response(
        text=render(template, **values),
        status=status,
        content_type="text/html",
        charset="utf-8",
        headers=_HEADERS,
    )


def _denied(reason: str) -> web.Response:
    return _page("denied.html", status=403, reason=_DENIED.get(reason, "Access denied."))


class _Session:
    """One request's verified session: who, which workspace, and (maybe) which channel."""

    def __init__(self, grant: Grant, token: str, channel: Channel | None) -> None:
        self.grant, self.token, self.channel = grant, token, channel

    @property
    def base(self) -> str:
        return workspace_path(self.grant.platform, self.grant.workspace_id)

    @property
    def channel_base(self) -> str | None:
        return f"{self.base}c/{self.channel.id}/" if self.channel else None


def panel_routes(app: App, publishers: Mapping[Platform, Publisher]) -> list[web.RouteDef]:
    keys, repository, handlers = app.panel, app.repository, app.handlers

    def session(request: web.Request, *, with_channel: bool = True) -> _Session:
        grant = keys.check_session(request.cookies.get(COOKIE), app.clock.now())
        info = request.match_info
        if info["platform"] != str(grant.platform) or info["workspace"] != grant.workspace_id:
            raise AuthError("another workspace")
        channel = None
        if with_channel:
            number = info["channel"]
            channel = repository.get_channel(int(number)) if number.isdigit() else None
            if (
                channel is None
                or channel.platform != grant.platform
                or channel.workspace_id != grant.workspace_id
            ):
                raise AuthError("another channel")
        return _Session(grant, request.cookies[COOKIE], channel)

    def context(s: _Session) -> CommandContext:
        assert s.channel is not None
        return CommandContext(
            platform=s.grant.platform,
            workspace_id=s.grant.workspace_id,
            channel_id=s.channel.channel_id,
            channel_name=s.channel.name,
            user_id=s.grant.user_id,
            is_manager=s.grant.manager,
            publisher=publishers.get(s.grant.platform),
        )

    def may_change(s: _Session) -> bool:
        # Discord asks for Manage Server or Manage Channels to change settings (as its
        # command listener does); everywhere the handlers' own rule applies on top.
        if s.grant.platform == Platform.DISCORD and not s.grant.manager:
            return False
        return handlers.may_change(context(s)) if s.channel else not _restricted(s)

    def _restricted(s: _Session) -> bool:
        workspace = repository.ensure_workspace(s.grant.platform, s.grant.workspace_id)
        return workspace.restrict_settings and not s.grant.manager

    def common(s: _Session) -> dict[str, Any]:
        values: dict[str, Any] = {
            "base": s.base,
            "channel_base": s.channel_base,
            "csrf": keys.csrf(s.token),
            "user_id": s.grant.user_id,
            "platform": str(s.grant.platform),
            "workspace_id": s.grant.workspace_id,
        }
        if s.channel is not None:
            values |= {"channel": s.channel, "label": channel_label(s.channel)}
        return values

    async def open_link(request: web.Request) -> web.Response:
        now = app.clock.now()
        try:
            grant = keys.open_link(request.query.get("t"), now)
        except AuthError as exc:
            log.info("panel link refused", extra={"reason": str(exc)})
            return _denied(str(exc))
        path = workspace_path(grant.platform, grant.workspace_id)
        response = web.Response(status=303, headers={**_HEADERS, "Location": path})
        response.set_cookie(
            COOKIE,
            keys.session(grant, now),
            path=path,
            httponly=True,
            samesite="Lax",
            secure=keys.secure,
        )
        return response

    async def channels(request: web.Request) -> web.Response:
        try:
            s = session(request, with_channel=False)
        except AuthError as exc:
            return _denied(str(exc))
        rows = workspace_channels(repository, s.grant.platform, s.grant.workspace_id)
        return _page("channels.html", channels=rows, may_change=may_change(s), **common(s))

    def channel_page(s: _Session, *, flash: Reply | None = None, status: int = 200) -> web.Response:
        channel = s.channel
        assert channel is not None
        return _page(
            "channel.html",
            status=status,
            flash=flash,
            interests=interests_of(repository, channel),
            may_change=may_change(s),
            can_post=s.grant.platform in publishers,
            next_run=None
            if channel.paused
            else f"{next_run(channel.schedule, app.clock.now()):%a %d %b %H:%M %Z}",
            day_choices=DAY_CHOICES,
            weekdays=WEEKDAYS,
            current_days=days_choice(channel.schedule),
            timezones=timezones(),
            boosts=boosts_of(channel),
            **common(s),
        )

    async def channel_view(request: web.Request) -> web.Response:
        try:
            s = session(request)
        except AuthError as exc:
            return _denied(str(exc))
        return channel_page(s)

    async def channel_change(request: web.Request) -> web.Response:
        try:
            s = session(request)
        except AuthError as exc:
            return _denied(str(exc))
        form = {k: str(v) for k, v in (await request.post()).items()}
        if not keys.check_csrf(s.token, form.get("csrf")):
            return _denied("csrf")
        action = form.get("action", "")
        if action != "digest_now" and not may_change(s):
            refusal = Reply(text="Only managers may change this channel's settings.", error=True)
            return channel_page(s, flash=refusal, status=403)
        try:
            text = command_text(CHANGES, action, form)
        except UsageError as exc:
            return channel_page(s, flash=Reply(text=str(exc), error=True), status=400)
        reply = await handlers.handle(text, context(s))
        assert s.channel is not None and s.channel.id is not None
        log.info("panel change", extra={"channel": s.channel.address, "action": action})
        # The page shows the channel as it is now (the change, or nothing when refused).
        fresh = _Session(s.grant, s.token, repository.get_channel(s.channel.id) or s.channel)
        return channel_page(fresh, flash=reply, status=400 if reply.error else 200)

    async def log_view(request: web.Request) -> web.Response:
        try:
            s = session(request)
        except AuthError as exc:
            return _denied(str(exc))
        assert s.channel is not None
        return _page("log.html", entries=delivery_log(repository, s.channel), **common(s))

    async def votes_view(request: web.Request) -> web.Response:
        try:
            s = session(request)
        except AuthError as exc:
            return _denied(str(exc))
        assert s.channel is not None
        return _page("votes.html", votes=votes_of(repository, s.channel), **common(s))

    async def why_view(request: web.Request) -> web.Response:
        try:
            s = session(request)
        except AuthError as exc:
            return _denied(str(exc))
        assert s.channel is not None
        ref = " ".join(request.query.get("ref", "").split())[:500]
        report, error = None, None
        if ref:
            try:
                # Ranking is CPU work: off the event loop.
                report = await asyncio.to_thread(app.digests.why, s.channel, ref)
            except UsageError as exc:
                error = str(exc)
        return _page(
            "why.html",
            status=400 if error else 200,
            ref=ref,
            report=report,
            error=error,
            **common(s),
        )

    async def ask_view(request: web.Request) -> web.Response:
        try:
            s = session(request)
        except AuthError as exc:
            return _denied(str(exc))
        command = request.query.get("command", "")
        try:
            text = command_text(ASKS, command, dict(request.query))
        except UsageError as exc:
            return channel_page(s, flash=Reply(text=str(exc), error=True), status=400)
        reply = await handlers.handle(text, context(s))
        heading = f"/papers {text}"[:120]
        return _page("reply.html", reply=reply, heading=heading, **common(s))

    workspace = "/panel/{platform}/{workspace}/"
    channel = workspace + "c/{channel}/"
    return [
        web.get("/panel/open", open_link),
        web.get(workspace, channels),
        web.get(channel, channel_view),
        web.post(channel, channel_change),
        web.get(channel + "log", log_view),
        web.get(channel + "votes", votes_view),
        web.get(channel + "why", why_view),
        web.get(channel + "ask", ask_view),
    ]
