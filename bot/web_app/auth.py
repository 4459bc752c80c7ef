"""Signed links, session cookies and CSRF tokens for the control panel (stdlib HMAC).

A ``/papers panel`` reply carries a link with a token valid 15 minutes: a ``Grant`` (platform,
workspace, user, whether they manage it) and its expiry, signed with HMAC-SHA256. Opening it
exchanges it for a session cookie signed the same way under another purpose, scoped (by its
path) to that workspace's pages. Forms carry a CSRF token derived from the session.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from digest.models import Platform

__all__ = [
    "LINK_TTL",
    "SESSION_TTL",
    "AuthError",
    "Grant",
    "PanelKeys",
    "workspace_path",
]

LINK_TTL = timedelta(minutes=15)
SESSION_TTL = timedelta(hours=8)
_WORKSPACE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class AuthError(Exception):
    """A token that is missing, malformed, altered, expired, or meant for something else."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Grant:
    """Who a link or session is for: one workspace, one person."""

    platform: Platform
    workspace_id: str
    user_id: str
    manager: bool = False
    expires: int = 0  # unix seconds

    def to_json(self) -> str:
        return json.dumps(
            {
                "p": str(self.platform),
                "w": self.workspace_id,
                "u": self.user_id,
                "m": self.manager,
                "e": self.expires,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> Grant:
        data = json.loads(text)
        grant = cls(
            platform=Platform(data["p"]),
            workspace_id=str(data["w"]),
            user_id=str(data["u"]),
            manager=bool(data["m"]),
            expires=int(data["e"]),
        )
        if not _WORKSPACE.match(grant.workspace_id):
            raise ValueError("workspace id")
        return grant


def workspace_path(platform: Platform | str, workspace_id: str) -> str:
    """The panel's pages of one workspace, and the path its session cookie is scoped to."""
    return f"/panel/{quote(str(platform), safe='')}/{quote(workspace_id, safe='')}/"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class PanelKeys:
    """Signs and checks the panel's links, sessions and CSRF tokens with one secret."""

    def __init__(self, secret: str, public_url: str) -> None:
        if len(secret) < 16:
            raise ValueError("the panel's secret must be at least 16 characters")
        self._key = hashlib.sha256(b"paperboy-panel:" + secret.encode()).digest()
        self.public_url = public_url.rstrip("/")

    @property
    def secure(self) -> bool:
        """Cookies are Secure when people reach the panel over https."""
        return self.public_url.lower().startswith("https://")

    def _mac(self, purpose: str, payload: str) -> str:
        message = f"{purpose}.{payload}".encode()
        return _b64(hmac.new(self._key, message, hashlib.sha256).digest())

    def _sign(self, purpose: str, grant: Grant) -> str:
        payload = _b64(grant.to_json().encode())
        return f"{payload}.{self._mac(purpose, payload)}"

    def _check(self, purpose: str, token: str | None, now: datetime) -> Grant:
        if not token or len(token) > 2000 or token.count(".") != 1:
            raise AuthError("missing or malformed")
        payload, mac = token.split(".")
        if not hmac.compare_digest(mac, self._mac(purpose, payload)):
            raise AuthError("altered or not ours")
        try:
            grant = Grant.from_json(_unb64(payload).decode())
        except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
            raise AuthError("malformed") from None
        if grant.expires < now.timestamp():
            raise AuthError("expired")
        return grant

    # links ------------------------------------------------------------------------------
    def link(self, grant: Grant, now: datetime) -> str:
        """The address a ``/papers panel`` reply gives: valid ``LINK_TTL`` from ``now``."""
        signed = self._sign("link", _expiring(grant, now + LINK_TTL))
        return f"{self.public_url}/panel/open?t={signed}"

    def open_link(self, token: str | None, now: datetime) -> Grant:
        return self._check("link", token, now)

    # sessions ---------------------------------------------------------------------------
    def session(self, grant: Grant, now: datetime) -> str:
        return self._sign("session", _expiring(grant, now + SESSION_TTL))

    def check_session(self, token: str | None, now: datetime) -> Grant:
        return self._check("session", token, now)

    def csrf(self, session_token: str) -> str:
        return self._mac("csrf", session_token)

    def check_csrf(self, session_token: str, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(str(token), self.csrf(session_token))


def _expiring(grant: Grant, until: datetime) -> Grant:
    return Grant(
        platform=grant.platform,
        workspace_id=grant.workspace_id,
        user_id=grant.user_id,
        manager=grant.manager,
        expires=int(until.timestamp()),
    )
