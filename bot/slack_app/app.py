"""The Slack side of paperboy: a Bolt AsyncApp (single workspace or OAuth multi-workspace)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import App
from bot.pacing import ChannelPacer
from bot.settings import Settings
from bot.slack_app.installations import DbInstallationStore, DbStateStore
from bot.slack_app.listeners import register_listeners
from bot.slack_app.publisher import SLACK_MESSAGE_INTERVAL, SlackPublisher, make_client
from digest.errors import DeliveryRefused

__all__ = ["BOT_EVENTS", "BOT_SCOPES", "SlackSide", "build_slack_app"]

# Connections kept open to Slack for digest posts (the channels themselves are paced).
SLACK_CONNECTIONS = 100
# Exactly what paperboy uses (keep in sync with manifest.yml).
BOT_SCOPES = [
    "commands",
    "chat:write",
    "chat:write.public",
    "channels:read",
    "groups:read",
    "users:read",
    "channels:history",
    "groups:history",
    "reactions:read",  # a 👍/👎 reaction on a one-paper message is a vote
]
# The Events API subscriptions the listeners need (manifest.yml lists the same).
BOT_EVENTS = ["app_uninstalled", "tokens_revoked", "reaction_added", "reaction_removed"]


@dataclass(kw_only=True)
class SlackSide:
    app: AsyncApp
    publisher: SlackPublisher
    oauth: bool
    close: Callable[[], Awaitable[None]]


def build_slack_app(
    settings: Settings, paperboy: App, *, message_interval: float = SLACK_MESSAGE_INTERVAL
) -> SlackSide:
    """The Bolt app with paperboy's listeners, and the publisher for digests (which spaces
    each channel's messages ``message_interval`` seconds apart)."""
    if settings.slack_signing_secret is None:
        raise ValueError("PAPERBOY_SLACK_SIGNING_SECRET is required for Slack")
    secret = settings.slack_signing_secret.get_secret_value()
    api_url = settings.slack_api_url
    connections = SharedSession()
    if settings.slack_client_id and settings.slack_client_secret:
        store = DbInstallationStore(settings.slack_client_id, paperboy.engine)
        oauth_settings = AsyncOAuthSettings(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret.get_secret_value(),
            scopes=BOT_SCOPES,
            installation_store=store,
            state_store=DbStateStore(paperboy.engine),
            install_path="/slack/install",
            redirect_uri_path="/slack/oauth_redirect",
        )
        app = AsyncApp(
            signing_secret=secret, oauth_settings=oauth_settings, client=make_client(None, api_url)
        )
        app.enable_token_revocation_listeners()

        async def client_for(team_id: str) -> AsyncWebClient:
            bot = await store.async_find_bot(enterprise_id=None, team_id=team_id)
            if bot is None or not bot.bot_token:
                raise DeliveryRefused("Slack: paperboy is not installed in this workspace")
            return make_client(bot.bot_token, api_url, connections.get())

        oauth = True
    else:
        if settings.slack_bot_token is None:
            raise ValueError("set PAPERBOY_SLACK_BOT_TOKEN, or the client id and secret for OAuth")
        client = make_client(settings.slack_bot_token.get_secret_value(), api_url)
        app = AsyncApp(signing_secret=secret, client=client)

        async def client_for(team_id: str) -> AsyncWebClient:
            client.session = connections.get()
            return client

        oauth = False
    publisher = SlackPublisher(client_for, ChannelPacer(message_interval))
    register_listeners(app, paperboy, publisher)
    return SlackSide(app=app, publisher=publisher, oauth=oauth, close=connections.close)


class SharedSession:
    """One aiohttp session (connection pool) for all digest posts, opened on first use
    inside the running event loop."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def get(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=SLACK_CONNECTIONS)
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
