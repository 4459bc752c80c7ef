"""Slack OAuth installations and states on our own database (tables from our migrations).

slack_sdk's SQLAlchemy stores are synchronous; Bolt's AsyncApp wants async ones. These
adapters run the sync stores in a worker thread, so SQLite and PostgreSQL both work through
the same engine as everything else.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine

__all__ = ["DbInstallationStore", "DbStateStore"]

log = logging.getLogger(__name__)


class DbInstallationStore(AsyncInstallationStore):
    def __init__(self, client_id: str, engine: Engine) -> None:
        self._store = SQLAlchemyInstallationStore(client_id=client_id, engine=engine)

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_save(self, installation: Installation) -> None:
        await asyncio.to_thread(self._store.save, installation)

    async def async_save_bot(self, bot: Bot) -> None:
        await asyncio.to_thread(self._store.save_bot, bot)

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        return await asyncio.to_thread(
            self._store.find_bot,
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        return await asyncio.to_thread(
            self._store.find_installation,
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await asyncio.to_thread(
            self._store.delete_bot, enterprise_id=enterprise_id, team_id=team_id
        )

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        await asyncio.to_thread(
            self._store.delete_installation,
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
        )

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        await self.async_delete_installation(enterprise_id=enterprise_id, team_id=team_id)


class DbStateStore(AsyncOAuthStateStore):
    """OAuth ``state`` values (CSRF protection of the install flow), valid for 10 minutes."""

    def __init__(self, engine: Engine, expiration_seconds: int = 600) -> None:
        self._store = SQLAlchemyOAuthStateStore(
            expiration_seconds=expiration_seconds, engine=engine
        )

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        return await asyncio.to_thread(self._store.issue)

    async def async_consume(self, state: str) -> bool:
        return await asyncio.to_thread(self._store.consume, state)
