"""The SQL Repository's delivery log (runs and their events) and generated secrets."""

from __future__ import annotations

from collections.abc import Sequence

from digest.models import DigestRun
from digest.ports import RunEvent
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from storage.mapping import as_utc
from storage.sql_deliveries import SqlDeliveries, _run
from storage.tables import DigestRunRow, RunEventRow, SecretRow

__all__ = ["SqlEvents"]


class SqlEvents(SqlDeliveries):
    """``RunEventRepository`` and ``SecretStore`` on the engine of ``SqlDeliveries``."""

    def record_run_events(self, events: Sequence[RunEvent]) -> None:
        if not events:
            return
        with self._session() as session:
            session.add_all(
                RunEventRow(run_id=e.run_id, at=e.at, kind=e.kind, detail=e.detail, waited=e.waited)
                for e in events
            )

    def list_run_events(self, run_ids: Sequence[int]) -> list[RunEvent]:
        if not run_ids:
            return []
        query = (
            select(RunEventRow)
            .where(col(RunEventRow.run_id).in_(list(run_ids)))
            .order_by(col(RunEventRow.at), col(RunEventRow.id))
        )
        with self._session() as session:
            return [
                RunEvent(
                    id=row.id,
                    run_id=row.run_id,
                    at=as_utc(row.at),  # type: ignore[arg-type]
                    kind=row.kind,
                    detail=row.detail,
                    waited=row.waited,
                )
                for row in session.exec(query)
            ]

    def list_runs(self, channel_id: int, *, limit: int = 50) -> list[DigestRun]:
        query = (
            select(DigestRunRow)
            .where(DigestRunRow.channel_id == channel_id)
            .order_by(col(DigestRunRow.started_at).desc(), col(DigestRunRow.id).desc())
            .limit(limit)
        )
        with self._session() as session:
            return [_run(row) for row in session.exec(query)]

    def ensure_secret(self, name: str, candidate: str) -> str:
        with self._session() as session:
            row = session.get(SecretRow, name)
            if row is not None:
                return row.value
        try:
            with self._session() as session:
                session.add(SecretRow(name=name, value=candidate))
        except IntegrityError:  # another process stored one first: theirs wins
            pass
        with self._session() as session:
            stored = session.get(SecretRow, name)
            assert stored is not None
            return stored.value
