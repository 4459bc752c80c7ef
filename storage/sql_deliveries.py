"""The SQL Repository's digest runs and deliveries (the outbox's state): claims with leases,
settlements, and which message shows which paper. One short transaction per call, retried
when another replica records the same delivery at that moment."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, TypeVar

from digest.models import DigestRun, Platform, RunItem
from digest.ports import Delivery, MessagePapers, Settlement
from sqlalchemy import Engine, Row, bindparam, func, or_, update
from sqlalchemy import select as select_columns
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.mapping import as_utc, channel_from_row
from storage.tables import ChannelRow, DeliveryRow, DigestRunRow

# Recording deliveries loses to a replica recording the same paper at that moment at most
# a few times in a row (each retry sees the rows that won).
_CONFLICT_RETRIES = 5
T = TypeVar("T")

__all__ = ["SqlDeliveries"]


class SqlDeliveries:
    """The DeliveryRepository half of ``SqlRepository``, and the session both halves use."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with Session(self._engine, expire_on_commit=False) as session, session.begin():
            yield session

    def start_run(self, run: DigestRun, paper_keys: Sequence[str] = ()) -> DigestRun:
        def write(session: Session) -> DigestRun:
            stored = self._insert_run(session, run)
            assert stored.id is not None
            self._record(session, run.channel_id, stored.id, paper_keys)
            return stored

        return self._retrying_conflicts(write)

    def _retrying_conflicts(self, write: Callable[[Session], T]) -> T:
        """``write`` in one transaction, again when another replica recorded one of the same
        deliveries meanwhile (the retry sees its rows)."""
        for attempt in range(_CONFLICT_RETRIES):
            try:
                with self._session() as session:
                    return write(session)
            except IntegrityError:
                if attempt == _CONFLICT_RETRIES - 1:
                    raise
        raise AssertionError("unreachable")

    @staticmethod
    def _insert_run(session: Session, run: DigestRun) -> DigestRun:
        row = DigestRunRow(
            channel_id=run.channel_id,
            started_at=run.started_at,
            scanned=run.scanned,
            picked=run.picked,
            status=run.status,
            failed_sources=list(run.failed_sources),
            items=[dataclasses.asdict(item) for item in run.items],
            note=run.note,
            claimed_by=run.claimed_by,
            lease_until=run.lease_until,
            attempts=run.attempts,
            kind=run.kind,
        )
        session.add(row)
        session.flush()
        return dataclasses.replace(run, id=row.id)

    def claim_runs(
        self, owner: str, *, now: datetime, lease: timedelta, limit: int
    ) -> list[DigestRun]:
        if limit <= 0:
            return []
        until = now + lease
        claimable = (
            col(DigestRunRow.status) == "queued",
            or_(col(DigestRunRow.lease_until).is_(None), col(DigestRunRow.lease_until) < now),
        )
        with self._session() as session:
            # SKIP LOCKED: replicas claiming at the same moment pass over each other's rows
            # instead of queueing behind them (PostgreSQL; SQLite serialises writers anyway).
            ids = list(
                session.exec(
                    select(DigestRunRow.id)
                    .where(*claimable)
                    .order_by(col(DigestRunRow.id))
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            )
            if not ids:
                return []
            # Conditional, so a claim is right even where FOR UPDATE is not supported.
            session.execute(
                update(DigestRunRow)
                .where(col(DigestRunRow.id).in_(ids), *claimable)
                .values(claimed_by=owner, lease_until=until, attempts=DigestRunRow.attempts + 1)
            )
            rows = session.exec(
                select(DigestRunRow)
                .where(col(DigestRunRow.id).in_(ids), col(DigestRunRow.claimed_by) == owner)
                .order_by(col(DigestRunRow.id))
                .execution_options(populate_existing=True)
            )
            return [_run(row) for row in rows]

    def renew_claims(self, owner: str, run_ids: Sequence[int], until: datetime) -> set[int]:
        if not run_ids:
            return set()
        held = (
            col(DigestRunRow.id).in_(list(run_ids)),
            col(DigestRunRow.claimed_by) == owner,
            col(DigestRunRow.status) == "queued",
        )
        with self._session() as session:
            session.execute(update(DigestRunRow).where(*held).values(lease_until=until))
            return set(session.exec(select(DigestRunRow.id).where(*held)))  # type: ignore[arg-type]

    def release_run(self, run_id: int, owner: str, *, retry_at: datetime | None) -> None:
        with self._session() as session:
            session.execute(
                update(DigestRunRow)
                .where(
                    col(DigestRunRow.id) == run_id,
                    col(DigestRunRow.claimed_by) == owner,
                    col(DigestRunRow.status) == "queued",
                )
                .values(claimed_by=None, lease_until=retry_at)
            )

    def release_claims(self, owner: str) -> int:
        with self._session() as session:
            result = session.execute(
                update(DigestRunRow)
                .where(col(DigestRunRow.claimed_by) == owner, col(DigestRunRow.status) == "queued")
                .values(claimed_by=None, lease_until=None)
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    def settle_run(
        self, run_id: int, *, status: str, picked: int, message_id: str | None = None
    ) -> None:
        self.settle_runs([Settlement(run_id, status, picked, message_id)])

    def settle_runs(self, settlements: Sequence[Settlement]) -> None:
        if not settlements:
            return
        runs, deliveries = DigestRunRow.__table__, DeliveryRow.__table__  # type: ignore[attr-defined]
        settle = (
            update(runs)
            .where(runs.c.id == bindparam("run"))
            .values(status=bindparam("status"), picked=bindparam("picked"))
            .values(claimed_by=None, lease_until=None)
        )
        deliver = (
            update(deliveries)
            .where(deliveries.c.run_id == bindparam("run"), deliveries.c.status == "pending")
            .values(
                status=bindparam("status"),
                message_id=func.coalesce(bindparam("message"), deliveries.c.message_id),
            )
        )
        rows = [
            {"run": o.run_id, "status": o.status, "picked": o.picked, "message": o.message_id}
            for o in settlements
        ]
        # Two statements for the whole batch (executemany), in one transaction: a fan-out
        # settles its digests in batches.
        with self._engine.begin() as connection:
            settled = connection.execute(settle, rows)
            counted = connection.dialect.supports_sane_multi_rowcount or len(rows) == 1
            if counted and settled.rowcount != len(rows):
                known = {
                    r
                    for (r,) in connection.execute(
                        select(runs.c.id).where(runs.c.id.in_([o.run_id for o in settlements]))
                    )
                }
                missing = sorted({o.run_id for o in settlements} - known)
                raise KeyError(f"unknown runs {missing}")
            connection.execute(deliver, rows)
            placed = [
                {"run": o.run_id, "paper": key, "message": message}
                for o in settlements
                for key, message in o.messages
            ]
            if placed:
                place = (
                    update(deliveries)
                    .where(
                        deliveries.c.run_id == bindparam("run"),
                        deliveries.c.paper_key == bindparam("paper"),
                    )
                    .values(message_id=bindparam("message"))
                )
                connection.execute(place, placed)

    def pending_keys(self, run_ids: Sequence[int]) -> dict[int, set[str]]:
        if not run_ids:
            return {}
        deliveries = DeliveryRow.__table__  # type: ignore[attr-defined]
        query = select(deliveries.c.run_id, deliveries.c.paper_key).where(
            deliveries.c.run_id.in_(list(run_ids)), deliveries.c.status == "pending"
        )
        found: dict[int, set[str]] = {}
        with self._engine.connect() as connection:
            for run_id, key in connection.execute(query):
                found.setdefault(run_id, set()).add(key)
        return found

    def last_run(self, channel_id: int) -> DigestRun | None:
        query = (
            select(DigestRunRow)
            .where(DigestRunRow.channel_id == channel_id)
            .order_by(col(DigestRunRow.started_at).desc(), col(DigestRunRow.id).desc())
        )
        with self._session() as session:
            row = session.exec(query).first()
            return _run(row) if row else None

    def get_run(self, run_id: int) -> DigestRun | None:
        with self._session() as session:
            row = session.get(DigestRunRow, run_id)
            return _run(row) if row else None

    def record_deliveries(
        self, channel_id: int, run_id: int | None, paper_keys: Sequence[str]
    ) -> list[Delivery]:
        return self._retrying_conflicts(
            lambda session: self._record(session, channel_id, run_id, paper_keys)
        )

    @staticmethod
    def _record(
        session: Session, channel_id: int, run_id: int | None, paper_keys: Sequence[str]
    ) -> list[Delivery]:
        """Outbox rows for the papers the channel never had, and failed ones claimed again,
        in the caller's transaction. The unique (channel, paper) constraint is the arbiter:
        a replica that records the same paper first makes this transaction fail whole, and
        the retry then sees its row."""
        keys = list(dict.fromkeys(paper_keys))
        if not keys:
            return []
        existing = {
            row.paper_key: row
            for row in session.exec(
                select(DeliveryRow)
                .where(DeliveryRow.channel_id == channel_id, col(DeliveryRow.paper_key).in_(keys))
                .with_for_update()
            )
        }
        rows: list[DeliveryRow] = []
        for key in keys:
            row = existing.get(key)
            if row is None:
                rows.append(DeliveryRow(channel_id=channel_id, paper_key=key, run_id=run_id))
            elif row.status == "failed":  # a failed attempt is claimed again, not duplicated
                row.status, row.run_id = "pending", run_id
                rows.append(row)
        session.add_all(rows)
        session.flush()
        return [_delivery(row) for row in rows]

    def delivered_keys(self, channel_id: int) -> set[str]:
        query = select(DeliveryRow.paper_key).where(
            DeliveryRow.channel_id == channel_id, DeliveryRow.status != "failed"
        )
        with self._session() as session:
            return set(session.exec(query))

    def mark_delivery(
        self, delivery_id: int, *, status: str, message_id: str | None = None
    ) -> None:
        with self._session() as session:
            row = session.get(DeliveryRow, delivery_id)
            if row is None:
                raise KeyError(f"unknown delivery {delivery_id}")
            row.status = status
            row.message_id = message_id or row.message_id
            session.add(row)

    def list_deliveries(self, channel_id: int, *, run_id: int | None = None) -> list[Delivery]:
        # Plain columns, no ORM objects: the outbox reads a run's deliveries per digest sent.
        # (SQLAlchemy's select: SQLModel's is typed for at most four columns.)
        query = (
            select_columns(
                col(DeliveryRow.id),
                col(DeliveryRow.channel_id),
                col(DeliveryRow.paper_key),
                col(DeliveryRow.run_id),
                col(DeliveryRow.status),
                col(DeliveryRow.message_id),
            )
            .where(col(DeliveryRow.channel_id) == channel_id)
            .order_by(col(DeliveryRow.id))
        )
        if run_id is not None:
            query = query.where(col(DeliveryRow.run_id) == run_id)
        with self._session() as session:
            return [_delivery(row) for row in session.execute(query)]

    def find_message(
        self,
        platform: Platform,
        workspace_id: str | None,
        message_id: str,
        *,
        channel_id: str | None = None,
    ) -> MessagePapers | None:
        query = (
            select(ChannelRow, DeliveryRow.paper_key)
            .join(DeliveryRow, col(DeliveryRow.channel_id) == col(ChannelRow.id))
            .where(DeliveryRow.message_id == message_id, ChannelRow.platform == str(platform))
            .order_by(col(DeliveryRow.id))
        )
        if workspace_id is not None:
            query = query.where(ChannelRow.workspace_id == workspace_id)
        if channel_id is not None:
            query = query.where(ChannelRow.channel_id == channel_id)
        with self._session() as session:
            rows = session.exec(query).all()
            if not rows:
                return None
            channel = channel_from_row(rows[0][0])
            # Ids are unique per channel at least: keep the first channel's papers only.
            keys = tuple(key for row, key in rows if row.id == channel.id)
        return MessagePapers(channel=channel, paper_keys=keys)


def _run(row: DigestRunRow) -> DigestRun:
    return DigestRun(
        id=row.id,
        channel_id=row.channel_id,
        started_at=as_utc(row.started_at),  # type: ignore[arg-type]
        scanned=row.scanned,
        picked=row.picked,
        status=row.status,
        failed_sources=tuple(row.failed_sources),
        items=tuple(RunItem(**item) for item in row.items),  # type: ignore[arg-type]
        note=row.note,
        claimed_by=row.claimed_by,
        lease_until=as_utc(row.lease_until),
        attempts=row.attempts,
        kind=row.kind,
    )


def _delivery(row: DeliveryRow | Row[Any]) -> Delivery:
    """From a delivery row, or a result row of its columns."""
    return Delivery(
        id=row.id,
        channel_id=row.channel_id,
        paper_key=row.paper_key,
        run_id=row.run_id,
        status=row.status,
        message_id=row.message_id,
    )
