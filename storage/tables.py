"""SQLModel tables. Changes here need an Alembic migration (storage/migrations/versions)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, DateTime, Index, LargeBinary, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlmodel import Field, SQLModel

__all__ = [
    "ChannelRow",
    "DeliveryRow",
    "DigestRunRow",
    "EmbeddingRow",
    "FeedbackRow",
    "HttpValidatorRow",
    "InterestMatchRow",
    "InterestRow",
    "PaperRow",
    "RevisionRow",
    "RunEventRow",
    "SecretRow",
    "SourceStateRow",
    "SummaryRow",
    "WorkspaceRow",
]


def _utc_column(*, nullable: bool = True, index: bool = False) -> Column:  # type: ignore[type-arg]
    return Column(DateTime(timezone=True), nullable=nullable, index=index)


class PaperRow(SQLModel, table=True):
    __tablename__ = "papers"

    key: str = Field(primary_key=True, max_length=300)
    arxiv_id: str | None = Field(default=None, max_length=64, unique=True)
    version: int | None = None
    doi: str | None = Field(default=None, max_length=300, index=True)
    title_key: str = Field(sa_column=Column(Text, nullable=False, index=True))
    title: str = Field(sa_column=Column(Text, nullable=False))
    abstract: str = Field(default="", sa_column=Column(Text, nullable=False))
    authors: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    author_count: int | None = None
    categories: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    primary_category: str | None = Field(default=None, max_length=64)
    published: date | None = Field(default=None, index=True)
    updated: datetime | None = Field(default=None, sa_column=_utc_column())
    abs_url: str | None = Field(default=None, sa_column=Column(Text))
    pdf_url: str | None = Field(default=None, sa_column=Column(Text))
    hf_url: str | None = Field(default=None, sa_column=Column(Text))
    code_url: str | None = Field(default=None, sa_column=Column(Text))
    project_url: str | None = Field(default=None, sa_column=Column(Text))
    url: str | None = Field(default=None, sa_column=Column(Text))
    comment: str | None = Field(default=None, sa_column=Column(Text))
    journal_ref: str | None = Field(default=None, sa_column=Column(Text))
    upvotes: int | None = None
    num_comments: int | None = None
    ai_summary: str | None = Field(default=None, sa_column=Column(Text))
    ai_keywords: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    thumbnail: str | None = Field(default=None, sa_column=Column(Text))
    organization: str | None = Field(default=None, max_length=300)
    announce_type: str | None = Field(default=None, max_length=32)
    sources: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    first_seen: datetime = Field(sa_column=_utc_column(nullable=False, index=True))


class WorkspaceRow(SQLModel, table=True):
    __tablename__ = "workspaces"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    external_id: str = Field(max_length=64)
    name: str | None = Field(default=None, max_length=200)
    timezone: str = Field(default="UTC", max_length=64)
    restrict_settings: bool = False


class ChannelRow(SQLModel, table=True):
    __tablename__ = "channels"
    __table_args__ = (UniqueConstraint("platform", "workspace_id", "channel_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    workspace_id: str = Field(max_length=64)
    channel_id: str = Field(max_length=64)
    name: str | None = Field(default=None, max_length=200)
    timezone: str = Field(default="UTC", max_length=64)
    schedule_time: str = Field(default="09:00", max_length=5)
    schedule_days: str = Field(default="mon,tue,wed,thu,fri", max_length=40)
    digest_size: int = 8
    min_score: float = 0.25
    paused: bool = False
    paused_reason: str | None = Field(default=None, sa_column=Column(Text))
    quiet_day_message: bool = True
    delivery_mode: str = Field(default="channel", max_length=16)
    layout: str = Field(
        default="grouped", max_length=16, sa_column_kwargs={"server_default": "grouped"}
    )
    boost_upvotes: bool = Field(default=True, sa_column_kwargs={"server_default": sa_true()})
    boost_recency: bool = Field(default=True, sa_column_kwargs={"server_default": sa_true()})
    boost_code: bool = Field(default=True, sa_column_kwargs={"server_default": sa_true()})
    trends_schedule: str | None = Field(default=None, max_length=16)
    dedupe: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})


class RevisionRow(SQLModel, table=True):
    """Counters that move when something the scheduler follows changes (``channels``)."""

    __tablename__ = "revisions"

    name: str = Field(primary_key=True, max_length=32)
    value: int = 0


class InterestRow(SQLModel, table=True):
    __tablename__ = "interests"

    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = Field(foreign_key="channels.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=16)
    text: str = Field(sa_column=Column(Text, nullable=False))
    weight: float = 1.0
    added_by: str | None = Field(default=None, max_length=64)
    added_at: datetime | None = Field(default=None, sa_column=_utc_column())
    instant: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})


class DigestRunRow(SQLModel, table=True):
    __tablename__ = "digest_runs"
    # The outbox query: queued runs whose claim is free or ran out.
    __table_args__ = (Index("ix_digest_runs_status_lease", "status", "lease_until"),)

    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = Field(foreign_key="channels.id", index=True, ondelete="CASCADE")
    started_at: datetime = Field(sa_column=_utc_column(nullable=False))
    scanned: int = 0
    picked: int = 0
    status: str = Field(default="queued", max_length=16)
    failed_sources: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # [{paper_key, score, why, tldr}]: what the run decided to send, to finish it after a crash
    items: list[dict[str, object]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    note: str | None = Field(default=None, sa_column=Column(Text))
    claimed_by: str | None = Field(default=None, max_length=200)
    lease_until: datetime | None = Field(default=None, sa_column=_utc_column())
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    kind: str = Field(
        default="digest", max_length=16, sa_column_kwargs={"server_default": "digest"}
    )


class DeliveryRow(SQLModel, table=True):
    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("channel_id", "paper_key"),
        Index("ix_deliveries_status", "status"),
        Index("ix_deliveries_run_id", "run_id"),  # settling a run updates its deliveries
        Index("ix_deliveries_message_id", "message_id"),  # a reaction names a message
    )

    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = Field(foreign_key="channels.id", ondelete="CASCADE")
    paper_key: str = Field(max_length=300)
    run_id: int | None = Field(default=None, foreign_key="digest_runs.id", ondelete="SET NULL")
    status: str = Field(default="pending", max_length=16)
    message_id: str | None = Field(default=None, max_length=128)


class FeedbackRow(SQLModel, table=True):
    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("channel_id", "paper_key", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = Field(foreign_key="channels.id", index=True, ondelete="CASCADE")
    paper_key: str = Field(max_length=300)
    user_id: str = Field(max_length=64)
    value: int
    at: datetime = Field(sa_column=_utc_column(nullable=False))


class SummaryRow(SQLModel, table=True):
    __tablename__ = "summaries"

    paper_key: str = Field(primary_key=True, max_length=300)
    summariser: str = Field(primary_key=True, max_length=64)
    content: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=_utc_column(nullable=False))


class SourceStateRow(SQLModel, table=True):
    __tablename__ = "source_state"

    name: str = Field(primary_key=True, max_length=200)
    last_success: datetime | None = Field(default=None, sa_column=_utc_column())
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    last_error_at: datetime | None = Field(default=None, sa_column=_utc_column())
    last_note: str | None = Field(default=None, sa_column=Column(Text))


class EmbeddingRow(SQLModel, table=True):
    """A paper's vectors from one model: the whole text, and one row per sentence (float16)."""

    __tablename__ = "embeddings"

    paper_key: str = Field(primary_key=True, max_length=300)
    model: str = Field(primary_key=True, max_length=100)
    dim: int
    vector: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sentences: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class HttpValidatorRow(SQLModel, table=True):
    """ETag / Last-Modified of the last good response per URL, for conditional GETs."""

    __tablename__ = "http_validators"

    url: str = Field(sa_column=Column(Text, primary_key=True))
    etag: str | None = Field(default=None, sa_column=Column(Text))
    last_modified: str | None = Field(default=None, sa_column=Column(Text))


class InterestMatchRow(SQLModel, table=True):
    """A paper that passed one of a channel's interests (``digest.models.Match``): what the
    channel's trends picture counts."""

    __tablename__ = "interest_matches"
    __table_args__ = (
        UniqueConstraint("channel_id", "interest", "paper_key"),
        Index("ix_interest_matches_channel_day", "channel_id", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = Field(foreign_key="channels.id", ondelete="CASCADE")
    interest: str = Field(max_length=600)
    paper_key: str = Field(max_length=300)
    day: date


class RunEventRow(SQLModel, table=True):
    """What happened while delivering a run (sent, retried, refused, 429s waited)."""

    __tablename__ = "run_events"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="digest_runs.id", index=True, ondelete="CASCADE")
    at: datetime = Field(sa_column=_utc_column(nullable=False))
    kind: str = Field(max_length=16)
    detail: str | None = Field(default=None, sa_column=Column(Text))
    waited: float = 0.0


class SecretRow(SQLModel, table=True):
    """Secrets generated on first start (the control panel's signing key)."""

    __tablename__ = "secrets"

    name: str = Field(primary_key=True, max_length=64)
    value: str = Field(sa_column=Column(Text, nullable=False))
