"""One scheduler leader among several `paperboy run` replicas sharing a PostgreSQL database.

Leadership is a PostgreSQL session-level advisory lock held on a dedicated connection. When
the leader dies its connection closes and the lock is released at once; the other replicas
try again every few seconds, so one takes over well within a minute. On SQLite there is one
process, which always leads.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, Engine, text

__all__ = ["LeaderLock"]

log = logging.getLogger(__name__)
LOCK_KEY = 0x7061_7065_7262_6F79 & 0x7FFF_FFFF_FFFF_FFFF  # "paperboy", as a bigint


class LeaderLock:
    def __init__(self, engine: Engine, key: int = LOCK_KEY) -> None:
        self._engine = engine
        self._key = key
        self._connection: Connection | None = None
        self._single = engine.dialect.name != "postgresql"

    def is_leader(self) -> bool:
        """Whether this process leads now, trying to become leader if nobody does."""
        if self._single:
            return True
        if self._connection is not None:
            try:
                self._connection.execute(text("select 1"))
                return True
            except Exception:  # the connection died: so did the lock
                log.warning("lost the scheduler lock's connection")
                self.release()
        connection = self._engine.connect()
        try:
            acquired = bool(
                connection.execute(
                    text("select pg_try_advisory_lock(:key)"), {"key": self._key}
                ).scalar()
            )
            connection.commit()
        except Exception:
            connection.close()
            raise
        if not acquired:
            connection.close()
            return False
        self._connection = connection
        log.info("this replica now leads the scheduler")
        return True

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.execute(
                    text("select pg_advisory_unlock(:key)"), {"key": self._key}
                )
                self._connection.commit()
            except Exception:
                log.debug("advisory unlock failed (the connection is gone)")
            finally:
                self._connection.close()
                self._connection = None
