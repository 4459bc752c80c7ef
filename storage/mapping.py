"""Rows to domain values and back. SQLite returns naive datetimes: they are UTC by contract."""

from __future__ import annotations

from datetime import UTC, datetime

from digest.identifiers import normalise_title
from digest.models import Channel, Interest, InterestKind, Paper, Platform, Schedule, Workspace

from storage.tables import ChannelRow, InterestRow, PaperRow, WorkspaceRow

__all__ = [
    "as_utc",
    "channel_from_row",
    "channel_to_row",
    "interest_from_row",
    "paper_from_row",
    "paper_to_row",
    "workspace_from_row",
]


def as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def paper_to_row(paper: Paper, row: PaperRow | None = None) -> PaperRow:
    if row is None:
        if paper.first_seen is None:  # plan_upsert stamps every new paper
            raise ValueError(f"a new paper needs first_seen: {paper.key}")
        row = PaperRow(key=paper.key, title_key="", title="", first_seen=paper.first_seen)
    row.arxiv_id = paper.arxiv_id
    row.version = paper.version
    row.doi = paper.doi
    row.title_key = normalise_title(paper.title)
    row.title = paper.title
    row.abstract = paper.abstract
    row.authors = list(paper.authors)
    row.author_count = paper.author_count
    row.categories = list(paper.categories)
    row.primary_category = paper.primary_category
    row.published = paper.published
    row.updated = paper.updated
    row.abs_url = paper.abs_url
    row.pdf_url = paper.pdf_url
    row.hf_url = paper.hf_url
    row.code_url = paper.code_url
    row.project_url = paper.project_url
    row.url = paper.url
    row.comment = paper.comment
    row.journal_ref = paper.journal_ref
    row.upvotes = paper.upvotes
    row.num_comments = paper.num_comments
    row.ai_summary = paper.ai_summary
    row.ai_keywords = list(paper.ai_keywords)
    row.thumbnail = paper.thumbnail
    row.organization = paper.organization
    row.announce_type = paper.announce_type
    row.sources = list(paper.sources)
    return row


def paper_from_row(row: PaperRow) -> Paper:
    return Paper(
        uid=row.key,
        id=row.arxiv_id or (row.key.removeprefix("id:") if row.key.startswith("id:") else None),
        arxiv_id=row.arxiv_id,
        version=row.version,
        doi=row.doi,
        title=row.title,
        abstract=row.abstract,
        authors=tuple(row.authors),
        author_count=row.author_count,
        categories=tuple(row.categories),
        primary_category=row.primary_category,
        published=row.published,
        updated=as_utc(row.updated),
        abs_url=row.abs_url,
        pdf_url=row.pdf_url,
        hf_url=row.hf_url,
        code_url=row.code_url,
        project_url=row.project_url,
        url=row.url,
        comment=row.comment,
        journal_ref=row.journal_ref,
        upvotes=row.upvotes,
        num_comments=row.num_comments,
        ai_summary=row.ai_summary,
        ai_keywords=tuple(row.ai_keywords),
        thumbnail=row.thumbnail,
        organization=row.organization,
        announce_type=row.announce_type,
        sources=tuple(row.sources),
        first_seen=as_utc(row.first_seen),
    )


def workspace_from_row(row: WorkspaceRow) -> Workspace:
    return Workspace(
        platform=Platform(row.platform),
        workspace_id=row.external_id,
        name=row.name,
        timezone=row.timezone,
        restrict_settings=row.restrict_settings,
    )


def channel_from_row(row: ChannelRow) -> Channel:
    return Channel(
        id=row.id,
        platform=Platform(row.platform),
        workspace_id=row.workspace_id,
        channel_id=row.channel_id,
        name=row.name,
        schedule=Schedule(
            time=row.schedule_time,
            days=tuple(d for d in row.schedule_days.split(",") if d),
            timezone=row.timezone,
        ),
        digest_size=row.digest_size,
        min_score=row.min_score,
        paused=row.paused,
        paused_reason=row.paused_reason,
        quiet_day_message=row.quiet_day_message,
        delivery_mode=row.delivery_mode,
        layout=row.layout,
        boost_upvotes=row.boost_upvotes,
        boost_recency=row.boost_recency,
        boost_code=row.boost_code,
        trends_schedule=row.trends_schedule,
        dedupe=row.dedupe,
    )


def channel_to_row(channel: Channel, row: ChannelRow) -> ChannelRow:
    row.name = channel.name
    row.timezone = channel.schedule.timezone
    row.schedule_time = channel.schedule.time
    row.schedule_days = ",".join(channel.schedule.days)
    row.digest_size = channel.digest_size
    row.min_score = channel.min_score
    row.paused = channel.paused
    row.paused_reason = channel.paused_reason
    row.quiet_day_message = channel.quiet_day_message
    row.delivery_mode = channel.delivery_mode
    row.layout = channel.layout
    row.boost_upvotes = channel.boost_upvotes
    row.boost_recency = channel.boost_recency
    row.boost_code = channel.boost_code
    row.trends_schedule = channel.trends_schedule
    row.dedupe = channel.dedupe
    return row


def interest_from_row(row: InterestRow) -> Interest:
    return Interest(
        id=row.id,
        kind=InterestKind(row.kind),
        text=row.text,
        weight=row.weight,
        added_by=row.added_by,
        added_at=as_utc(row.added_at),
        instant=row.instant,
    )
