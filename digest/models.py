"""Domain values of the core: papers, channels, interests, digests.

Frozen keyword-only dataclasses: every layer passes these around, none mutates them.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from datetime import date, datetime

from digest.identifiers import normalise_title

__all__ = [
    "PERSONAL_PREFIX",
    "Channel",
    "DigestItem",
    "DigestRun",
    "Interest",
    "InterestKind",
    "Match",
    "Paper",
    "Platform",
    "RunItem",
    "Schedule",
    "SourceHealth",
    "Workspace",
]


@dataclass(frozen=True, kw_only=True, slots=True)
class Paper:
    """One research paper as a source reported it (or as several sources merged)."""

    title: str
    abstract: str = ""
    # Canonical id: the arXiv id without version when known, else the source's own id.
    id: str | None = None
    arxiv_id: str | None = None
    version: int | None = None
    doi: str | None = None
    authors: tuple[str, ...] = ()
    author_count: int | None = None
    categories: tuple[str, ...] = ()
    primary_category: str | None = None
    published: date | None = None
    updated: datetime | None = None
    abs_url: str | None = None
    pdf_url: str | None = None
    hf_url: str | None = None
    code_url: str | None = None
    project_url: str | None = None
    url: str | None = None
    comment: str | None = None
    journal_ref: str | None = None
    upvotes: int | None = None
    num_comments: int | None = None
    ai_summary: str | None = None
    ai_keywords: tuple[str, ...] = ()
    thumbnail: str | None = None
    organization: str | None = None
    announce_type: str | None = None
    sources: tuple[str, ...] = ()
    first_seen: datetime | None = None
    # Set by storage: the key under which this work was first stored. It stays stable when a
    # later source adds an arXiv id to a paper first seen by title only.
    uid: str | None = None

    @property
    def key(self) -> str:
        """The identity used to merge records of one work: arXiv id, else DOI, else title."""
        if self.uid:
            return self.uid
        if self.arxiv_id:
            return self.arxiv_id
        if self.doi:
            return f"doi:{self.doi.lower()}"
        if self.id:
            return f"id:{self.id}"
        return f"title:{normalise_title(self.title)}"

    @property
    def link(self) -> str | None:
        """The best single link for a person to click."""
        return self.abs_url or self.hf_url or self.url or self.pdf_url

    def replace(self, **changes: object) -> Paper:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


class Platform(enum.StrEnum):
    SLACK = "slack"
    DISCORD = "discord"
    CONSOLE = "console"


class InterestKind(enum.StrEnum):
    QUERY = "query"
    AUTHOR = "author"
    CATEGORY = "category"
    SEED = "seed"
    EXCLUSION = "exclusion"


@dataclass(frozen=True, kw_only=True, slots=True)
class Interest:
    kind: InterestKind
    text: str
    weight: float = 1.0
    added_by: str | None = None
    added_at: datetime | None = None
    # An instant follow: a matching paper is posted as soon as it is ingested (an alert).
    instant: bool = False
    id: int | None = None


# A person's own digest is a channel whose id is this prefix and their user id.
PERSONAL_PREFIX = "user:"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, kw_only=True, slots=True)
class Schedule:
    """When a channel's digest goes out, in the channel's own time zone."""

    time: str = "09:00"  # HH:MM, 24-hour clock
    days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    timezone: str = "UTC"

    def describe(self) -> str:
        if self.days == WEEKDAYS:
            when = "daily"
        elif self.days == WEEKDAYS[:5]:
            when = "weekdays"
        else:
            when = ", ".join(d.capitalize() for d in self.days)
        return f"{when} at {self.time} ({self.timezone})"


@dataclass(frozen=True, kw_only=True, slots=True)
class Workspace:
    platform: Platform
    workspace_id: str
    name: str | None = None
    timezone: str = "UTC"
    # When true, only channel managers / workspace admins may change a channel's settings.
    restrict_settings: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class Channel:
    platform: Platform
    workspace_id: str
    channel_id: str
    name: str | None = None
    schedule: Schedule = field(default_factory=Schedule)
    digest_size: int = 8
    # Below this score a paper is noise: a weak day gives a shorter digest, never padding.
    min_score: float = 0.25
    paused: bool = False
    paused_reason: str | None = None
    quiet_day_message: bool = True
    # "channel": digests post in the channel; "thread": each digest opens a new thread.
    # (Discord forum channels always get a new post.)
    delivery_mode: str = "channel"
    # "grouped": several papers per message, voted on with buttons; "single": a short header,
    # then one message per paper, so a 👍/👎 reaction on a message is a vote on its paper.
    layout: str = "grouped"
    # Ranking boosts a channel can switch off: HF upvotes, recency, code available.
    boost_upvotes: bool = True
    boost_recency: bool = True
    boost_code: bool = True
    # "mon 09:00": the trends picture is posted weekly then (channel's time zone); None: never.
    trends_schedule: str | None = None
    # Personal digests (channel_id "user:<id>"): leave out papers a channel of the same
    # workspace already sent today (/papers me dedupe on).
    dedupe: bool = False
    id: int | None = None

    @property
    def personal_user(self) -> str | None:
        """The person a personal digest is for (its DM), None for a channel."""
        return self.channel_id.removeprefix(PERSONAL_PREFIX) if self.is_personal else None

    @property
    def is_personal(self) -> bool:
        return self.channel_id.startswith(PERSONAL_PREFIX)

    @property
    def address(self) -> str:
        return f"{self.platform}:{self.workspace_id}:{self.channel_id}"


@dataclass(frozen=True, kw_only=True, slots=True)
class DigestItem:
    paper: Paper
    score: float  # orders papers (higher first)
    why: str
    # Absolute relevance in [0, 1], comparable across days: what thresholds are applied to.
    relevance: float | None = None
    tldr: str | None = None  # from the summary service, when the digest was composed with it
    # The interest that ranked it highest ("kind:text", see ranker.interest_key), so a
    # digest can share its places among a channel's interests; None when votes or nothing
    # at all picked it.
    interest: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class RunItem:
    """What a digest run decided to send for one paper: enough to send it again, unchanged,
    after a crash."""

    paper_key: str
    score: float
    why: str
    tldr: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class DigestRun:
    channel_id: int
    started_at: datetime
    scanned: int = 0
    picked: int = 0
    status: str = "queued"  # queued -> sent | failed
    failed_sources: tuple[str, ...] = ()
    items: tuple[RunItem, ...] = ()
    note: str | None = None
    # The outbox claim: which sender holds the run, until when, and how many claims it took.
    claimed_by: str | None = None
    lease_until: datetime | None = None
    attempts: int = 0
    # What the run posts: "digest", "alert" (one paper of an instant follow) or "trends".
    kind: str = "digest"
    id: int | None = None

    @property
    def settled(self) -> bool:
        return self.status in ("sent", "failed")


@dataclass(frozen=True, kw_only=True, slots=True)
class SourceHealth:
    """What we know of one source's fetches, kept per source name."""

    name: str
    last_success: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    last_note: str | None = None

    @property
    def healthy(self) -> bool:
        if self.last_error_at is None:
            return True
        return self.last_success is not None and self.last_success >= self.last_error_at


@dataclass(frozen=True, kw_only=True, slots=True)
class Match:
    """A paper that passed one of a channel's interests (kept for its trends picture)."""

    interest: str  # ranker.interest_key: "kind:text"
    paper_key: str
    day: date  # the paper's date: published, else first seen
