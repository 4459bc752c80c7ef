"""The SQL Repository (SQLite or PostgreSQL) on SQLModel. One short transaction per call."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime

import numpy as np
from digest.identifiers import normalise_title, parse_arxiv_id
from digest.models import (
    Channel,
    Interest,
    InterestKind,
    Paper,
    Platform,
    SourceHealth,
    Workspace,
)
from digest.ports import (
    Feedback,
    StoredEmbedding,
    UpsertCounts,
)
from sqlalchemy import delete, func, update
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
from storage.sql_events import SqlEvents
from storage.sql_matches import SqlMatches
from storage.tables import (
    ChannelRow,
    EmbeddingRow,
    FeedbackRow,
    HttpValidatorRow,
    InterestRow,
    PaperRow,
    RevisionRow,
    SourceStateRow,
    SummaryRow,
    WorkspaceRow,
)
from storage.upsert import plan_upsert

__all__ = ["SqlRepository"]

CHANNELS_REVISION = "channels"  # its row is made by migration 0009


class SqlRepository(SqlMatches, SqlEvents):
    """Every repository port on one engine; runs and deliveries are in ``sql_deliveries``,
    interest matches in ``sql_matches``, the delivery log and secrets in ``sql_events``."""

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
                    self._bump_channels_revision(session)
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
            self._bump_channels_revision(session)
        return channel

    @staticmethod
    def _bump_channels_revision(session: Session) -> None:
        # In the channel's own transaction: a replica that sees the new revision sees it.
        session.execute(
            update(RevisionRow)
            .where(col(RevisionRow.name) == CHANNELS_REVISION)
            .values(value=RevisionRow.value + 1)
        )

    def channels_revision(self) -> int:
        with self._session() as session:
            row = session.get(RevisionRow, CHANNELS_REVISION)
            return row.value if row else 0

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
                instant=interest.instant,
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
        try:
            self._put_summary(paper_key, summariser, content, at)
        except IntegrityError:  # another digest or replica stored it first: replace theirs
            self._put_summary(paper_key, summariser, content, at)

    def _put_summary(self, paper_key: str, summariser: str, content: str, at: datetime) -> None:
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


def _health(row: SourceStateRow) -> SourceHealth:
    return SourceHealth(
        name=row.name,
        last_success=as_utc(row.last_success),
        last_error=row.last_error,
        last_error_at=as_utc(row.last_error_at),
        last_note=row.last_note,
    )
