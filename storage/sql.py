"""The SQL Repository (SQLite or PostgreSQL) on SQLModel. One short transaction per call."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, TypeVar

import numpy as np
from digest.identifiers import normalise_title, parse_arxiv_id
from digest.models import (
    Channel,
    DigestRun,
    Interest,
    InterestKind,
    Paper,
    Platform,
    RunItem,
    SourceHealth,
    Workspace,
)
from digest.ports import (
    Delivery,
    Feedback,
    MessagePapers,
    Settlement,
    StoredEmbedding,
    UpsertCounts,
)
from sqlalchemy import Engine, Row, bindparam, delete, func, or_, update
from sqlalchemy import select as select_columns
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.mapping import (
    as_utc,
    channel_from_row,
    channel_to_row,
    interest_from_row,
    paper_from_row,
    paper_to_row,
    workspace_from_row,
)
from storage.tables import (
    ChannelRow,
    DeliveryRow,
    DigestRunRow,
    EmbeddingRow,
    FeedbackRow,
    HttpValidatorRow,
    InterestRow,
    PaperRow,
    SourceStateRow,
    SummaryRow,
    WorkspaceRow,
)
from storage.upsert import plan_upsert

# Recording deliveries loses to a replica recording the same paper at that moment at most
# a few times in a row (each retry sees the rows that won).
_CONFLICT_RETRIES = 5
T = TypeVar("T")

__all__ = ["SqlRepository"]


class SqlRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with Session(self._engine, expire_on_commit=False) as session, session.begin():
            yield session

    # papers -------------------------------------------------------------------------------
    @staticmethod
    def _find(session: Session, paper: Paper) -> PaperRow | None:
        if paper.arxiv_id:
            row = session.exec(select(PaperRow).where(PaperRow.arxiv_id == paper.arxiv_id)).first()
            if row:
                return row
        query = select(PaperRow)
        if paper.arxiv_id:
            query = query.where(col(PaperRow.arxiv_id).is_(None))
        if paper.doi:
            row = session.exec(query.where(PaperRow.doi == paper.doi)).first()
            if row:
                return row
            query = query.where(col(PaperRow.doi).is_(None))
        by_title = query.where(PaperRow.title_key == normalise_title(paper.title))
        return session.exec(by_title.order_by(PaperRow.key)).first()

    def upsert_papers(self, papers: Sequence[Paper], seen_at: datetime) -> UpsertCounts:
        try:
            return self._upsert_once(papers, seen_at)
        except IntegrityError:
            # Another process stored one of these papers between our read and our write:
            # run again, and the second pass finds it and merges.
            return self._upsert_once(papers, seen_at)

    def _upsert_once(self, papers: Sequence[Paper], seen_at: datetime) -> UpsertCounts:
        with self._session() as session:
            rows: dict[str, PaperRow] = {}

            def find(paper: Paper) -> Paper | None:
                row = self._find(session, paper)
                if row is None:
                    return None
                rows[row.key] = row
                return paper_from_row(row)

            inserts, updates, counts = plan_upsert(papers, seen_at, find)
            for paper in inserts:
                session.add(paper_to_row(paper))
            for paper in updates:
                session.add(paper_to_row(paper, rows[paper.key]))
        return counts

    def get_paper(self, key: str) -> Paper | None:
        with self._session() as session:
            row = session.get(PaperRow, key)
            if row is None and (arxiv := parse_arxiv_id(key)):
                row = session.exec(select(PaperRow).where(PaperRow.arxiv_id == arxiv.base)).first()
            return paper_from_row(row) if row else None

    def get_papers(self, keys: Sequence[str]) -> dict[str, Paper]:
        if not keys:
            return {}
        query = select(PaperRow).where(col(PaperRow.key).in_(list(dict.fromkeys(keys))))
        with self._session() as session:
            return {row.key: paper_from_row(row) for row in session.exec(query)}

    def list_papers(
        self, *, since: datetime | None = None, limit: int | None = None
    ) -> list[Paper]:
        query = select(PaperRow).order_by(col(PaperRow.first_seen).desc(), col(PaperRow.key).desc())
        if since is not None:
            query = query.where(PaperRow.first_seen >= since)
        if limit is not None:
            query = query.limit(limit)
        with self._session() as session:
            return [paper_from_row(row) for row in session.exec(query)]

    def count_papers(self) -> int:
        with self._session() as session:
            return session.exec(select(func.count()).select_from(PaperRow)).one()

    # workspaces and channels --------------------------------------------------------------
    def ensure_workspace(self, platform: Platform, workspace_id: str) -> Workspace:
        with self._session() as session:
            return workspace_from_row(self._workspace_row(session, platform, workspace_id))

    @staticmethod
    def _workspace_row(session: Session, platform: Platform, workspace_id: str) -> WorkspaceRow:
        query = select(WorkspaceRow).where(
            WorkspaceRow.platform == str(platform), WorkspaceRow.external_id == workspace_id
        )
        row = session.exec(query).first()
        if row is None:
            row = WorkspaceRow(platform=str(platform), external_id=workspace_id)
            session.add(row)
            session.flush()
        return row

    def save_workspace(self, workspace: Workspace) -> Workspace:
        with self._session() as session:
            row = self._workspace_row(session, workspace.platform, workspace.workspace_id)
            row.name = workspace.name
            row.timezone = workspace.timezone
            row.restrict_settings = workspace.restrict_settings
            session.add(row)
        return workspace

    def ensure_channel(
        self, platform: Platform, workspace_id: str, channel_id: str, *, name: str | None = None
    ) -> Channel:
        query = select(ChannelRow).where(
            ChannelRow.platform == str(platform),
            ChannelRow.workspace_id == workspace_id,
            ChannelRow.channel_id == channel_id,
        )
        try:
            with self._session() as session:
                row = session.exec(query).first()
                if row is None:
                    workspace = self._workspace_row(session, platform, workspace_id)
                    row = ChannelRow(
                        platform=str(platform),
                        workspace_id=workspace_id,
                        channel_id=channel_id,
                        name=name,
                        timezone=workspace.timezone,
                    )
                    session.add(row)
                    session.flush()
                return channel_from_row(row)
        except IntegrityError:  # created concurrently by another replica: read theirs
            with self._session() as session:
                return channel_from_row(session.exec(query).one())

    def get_channel(self, channel_id: int) -> Channel | None:
        with self._session() as session:
            row = session.get(ChannelRow, channel_id)
            return channel_from_row(row) if row else None

    def get_channels(self, channel_ids: Sequence[int]) -> dict[int, Channel]:
        if not channel_ids:
            return {}
        query = select(ChannelRow).where(col(ChannelRow.id).in_(list(set(channel_ids))))
        with self._session() as session:
            return {row.id: channel_from_row(row) for row in session.exec(query)}  # type: ignore[misc]

    def save_channel(self, channel: Channel) -> Channel:
        with self._session() as session:
            row = session.get(ChannelRow, channel.id)
            if row is None:
                raise KeyError(f"unknown channel {channel.id}")
            session.add(channel_to_row(channel, row))
        return channel

    def list_channels(self, platform: Platform | None = None) -> list[Channel]:
        query = select(ChannelRow).order_by(col(ChannelRow.id))
        if platform is not None:
            query = query.where(ChannelRow.platform == str(platform))
        with self._session() as session:
            return [channel_from_row(row) for row in session.exec(query)]

    # interests ----------------------------------------------------------------------------
    def add_interest(self, channel_id: int, interest: Interest) -> Interest:
        with self._session() as session:
            row = InterestRow(
                channel_id=channel_id,
                kind=str(interest.kind),
                text=interest.text,
                weight=interest.weight,
                added_by=interest.added_by,
                added_at=interest.added_at,
            )
            session.add(row)
            session.flush()
            return dataclasses.replace(interest, id=row.id)

    def list_interests(self, channel_id: int) -> list[Interest]:
        query = (
            select(InterestRow)
            .where(InterestRow.channel_id == channel_id)
            .order_by(col(InterestRow.id))
        )
        with self._session() as session:
            return [interest_from_row(row) for row in session.exec(query)]

    def followed_queries(self) -> list[str]:
        query = (
            select(InterestRow.text)
            .join(ChannelRow, col(ChannelRow.id) == InterestRow.channel_id)
            .where(InterestRow.kind == str(InterestKind.QUERY), col(ChannelRow.paused).is_(False))
            .distinct()
            .order_by(InterestRow.text)
        )
        with self._session() as session:
            return list(session.exec(query))

    def remove_interest(self, channel_id: int, interest_id: int) -> bool:
        with self._session() as session:
            result = session.execute(
                delete(InterestRow).where(
                    col(InterestRow.id) == interest_id, col(InterestRow.channel_id) == channel_id
                )
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def clear_interests(self, channel_id: int) -> int:
        with self._session() as session:
            result = session.execute(
                delete(InterestRow).where(col(InterestRow.channel_id) == channel_id)
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    # runs and deliveries ------------------------------------------------------------------
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
        workspace_id: str,
        message_id: str,
        *,
        channel_id: str | None = None,
    ) -> MessagePapers | None:
        query = (
            select(ChannelRow, DeliveryRow.paper_key)
            .join(DeliveryRow, col(DeliveryRow.channel_id) == col(ChannelRow.id))
            .where(
                DeliveryRow.message_id == message_id,
                ChannelRow.platform == str(platform),
                ChannelRow.workspace_id == workspace_id,
            )
            .order_by(col(DeliveryRow.id))
        )
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

    # feedback, summaries, sources ---------------------------------------------------------
    def record_feedback(self, feedback: Feedback) -> None:
        query = select(FeedbackRow).where(
            FeedbackRow.channel_id == feedback.channel_id,
            FeedbackRow.paper_key == feedback.paper_key,
            FeedbackRow.user_id == feedback.user_id,
        )
        with self._session() as session:
            row = session.exec(query).first() or FeedbackRow(
                channel_id=feedback.channel_id,
                paper_key=feedback.paper_key,
                user_id=feedback.user_id,
                value=feedback.value,
                at=feedback.at,
            )
            row.value, row.at = feedback.value, feedback.at
            session.add(row)

    def retract_feedback(self, channel_id: int, paper_key: str, user_id: str, value: int) -> bool:
        with self._session() as session:
            result = session.execute(
                delete(FeedbackRow).where(
                    col(FeedbackRow.channel_id) == channel_id,
                    col(FeedbackRow.paper_key) == paper_key,
                    col(FeedbackRow.user_id) == user_id,
                    col(FeedbackRow.value) == value,
                )
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def list_feedback(self, channel_id: int) -> list[Feedback]:
        query = (
            select(FeedbackRow)
            .where(FeedbackRow.channel_id == channel_id)
            .order_by(col(FeedbackRow.id))
        )
        with self._session() as session:
            return [
                Feedback(
                    channel_id=row.channel_id,
                    paper_key=row.paper_key,
                    user_id=row.user_id,
                    value=row.value,
                    at=as_utc(row.at),  # type: ignore[arg-type]
                )
                for row in session.exec(query)
            ]

    def get_summary(self, paper_key: str, summariser: str) -> str | None:
        with self._session() as session:
            row = session.get(SummaryRow, (paper_key, summariser))
            return row.content if row else None

    def put_summary(self, paper_key: str, summariser: str, content: str, at: datetime) -> None:
        with self._session() as session:
            row = session.get(SummaryRow, (paper_key, summariser)) or SummaryRow(
                paper_key=paper_key, summariser=summariser, content=content, created_at=at
            )
            row.content, row.created_at = content, at
            session.add(row)

    def get_source_health(self, name: str) -> SourceHealth:
        with self._session() as session:
            row = session.get(SourceStateRow, name)
            return _health(row) if row else SourceHealth(name=name)

    def save_source_health(self, health: SourceHealth) -> None:
        with self._session() as session:
            row = session.get(SourceStateRow, health.name) or SourceStateRow(name=health.name)
            row.last_success = health.last_success
            row.last_error = health.last_error
            row.last_error_at = health.last_error_at
            row.last_note = health.last_note
            session.add(row)

    def get_embeddings(self, keys: Sequence[str], model: str) -> dict[str, StoredEmbedding]:
        found: dict[str, StoredEmbedding] = {}
        with self._session() as session:
            for start in range(0, len(keys), 500):  # keep IN lists a sane size
                chunk = list(keys[start : start + 500])
                query = select(EmbeddingRow).where(
                    EmbeddingRow.model == model, col(EmbeddingRow.paper_key).in_(chunk)
                )
                for row in session.exec(query):
                    found[row.paper_key] = StoredEmbedding(
                        vector=np.frombuffer(row.vector, dtype=np.float16).astype(np.float32),
                        sentences=np.frombuffer(row.sentences, dtype=np.float16)
                        .astype(np.float32)
                        .reshape(-1, row.dim),
                    )
        return found

    def put_embeddings(self, model: str, embeddings: Mapping[str, StoredEmbedding]) -> None:
        with self._session() as session:
            for key, embedding in embeddings.items():
                row = session.get(EmbeddingRow, (key, model)) or EmbeddingRow(
                    paper_key=key, model=model, dim=0, vector=b"", sentences=b""
                )
                row.dim = int(embedding.vector.shape[0])
                row.vector = embedding.vector.astype(np.float16).tobytes()
                row.sentences = embedding.sentences.astype(np.float16).tobytes()
                session.add(row)

    def get_validators(self, url: str) -> tuple[str | None, str | None]:
        with self._session() as session:
            row = session.get(HttpValidatorRow, url)
            return (row.etag, row.last_modified) if row else (None, None)

    def put_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        with self._session() as session:
            row = session.get(HttpValidatorRow, url) or HttpValidatorRow(url=url)
            row.etag, row.last_modified = etag, last_modified
            session.add(row)

    def list_source_health(self) -> list[SourceHealth]:
        with self._session() as session:
            return [
                _health(row)
                for row in session.exec(select(SourceStateRow).order_by(SourceStateRow.name))
            ]


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


def _health(row: SourceStateRow) -> SourceHealth:
    return SourceHealth(
        name=row.name,
        last_success=as_utc(row.last_success),
        last_error=row.last_error,
        last_error_at=as_utc(row.last_error_at),
        last_note=row.last_note,
    )
