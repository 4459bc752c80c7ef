"""The core's ports: what it needs from the outside world, as Protocols.

Every port has a real in-memory or fake implementation (storage/memory.py, digest/clock.py,
the console publisher) used by tests, the console adapter and local development.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

import numpy as np
import numpy.typing as npt

from digest.compose import Digest
from digest.models import (
    Channel,
    DigestItem,
    DigestRun,
    Interest,
    Match,
    Paper,
    Platform,
    SourceHealth,
    Workspace,
)
from digest.ranking.ranker import ChannelProfile

__all__ = [
    "QUIET_DIGEST_ARRIVED",
    "ChannelRepository",
    "Clock",
    "Delivery",
    "DeliveryRepository",
    "EmbeddingStore",
    "Feedback",
    "FeedbackRepository",
    "FetchResult",
    "InterestRepository",
    "MatchRepository",
    "MessagePapers",
    "PaperRepository",
    "PaperSource",
    "Publisher",
    "Ranker",
    "Repository",
    "RunEvent",
    "RunEventRepository",
    "SecretStore",
    "SentMessage",
    "Settlement",
    "SourceStateRepository",
    "StoredEmbedding",
    "SummaryCache",
    "UpsertCounts",
    "ValidatorStore",
    "WorkspaceRepository",
]


class Ranker(Protocol):
    name: str

    def score(
        self, papers: Sequence[Paper], profile: ChannelProfile, *, today: date | None = None
    ) -> list[DigestItem]:
        """Every paper scored with an explanation, best first."""
        ...


@dataclass(frozen=True, slots=True)
class SentMessage:
    """One message a publisher posted: the platform's id and the papers it shows (a reaction
    on a message that shows exactly one paper is a vote on that paper)."""

    id: str
    papers: tuple[str, ...] = ()


class Publisher(Protocol):
    """Sends a rendered digest to its channel; returns the messages it posted, in order.

    Every message carries ``delivery_tag`` (Slack message metadata, a Discord nonce) so that
    ``find_sent`` can tell, after a crash, which of the digest's papers already arrived.
    """

    async def publish(self, digest: Digest, delivery_tag: str) -> list[SentMessage]: ...

    async def find_sent(self, digest: Digest, delivery_tag: str) -> dict[str, str]:
        """The digest's papers the platform already shows under this tag, each with the id of
        the message showing it; for a digest without papers (a quiet day),
        ``{QUIET_DIGEST_ARRIVED: id}`` once its message is there."""
        ...


# What ``find_sent`` reports for a quiet day's digest (no papers) whose message arrived.
QUIET_DIGEST_ARRIVED = "*"


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


@dataclass(frozen=True, kw_only=True, slots=True)
class FetchResult:
    """What one fetch of a source produced.

    ``status`` is ``ok``, ``not_modified`` (conditional GET said nothing changed) or ``quiet``
    (an empty answer on a day the source is known not to publish, e.g. arXiv on Saturday).
    """

    source: str
    papers: tuple[Paper, ...] = ()
    # Papers that only refresh stored records (arXiv replacements): never new candidates.
    updates: tuple[Paper, ...] = ()
    status: str = "ok"
    note: str | None = None


class PaperSource(Protocol):
    name: str

    async def fetch(self, day: date) -> FetchResult:
        """Fetch the papers the source lists for ``day``. Raises SourceError on failure."""
        ...


@dataclass(frozen=True, kw_only=True, slots=True)
class UpsertCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: UpsertCounts) -> UpsertCounts:
        return UpsertCounts(
            new=self.new + other.new,
            updated=self.updated + other.updated,
            unchanged=self.unchanged + other.unchanged,
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class Delivery:
    channel_id: int
    paper_key: str
    run_id: int | None
    status: str = "pending"  # pending -> sent | failed
    message_id: str | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Settlement:
    """How a run ended: ``sent`` or ``failed``. ``message_id`` is recorded on all of the run's
    deliveries; ``messages`` (paper key, message id) names the message that shows each paper."""

    run_id: int
    status: str
    picked: int
    message_id: str | None = None
    messages: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class MessagePapers:
    """What one of our posted messages shows: its channel and the papers in it."""

    channel: Channel
    paper_keys: tuple[str, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class Feedback:
    channel_id: int
    paper_key: str
    user_id: str
    value: int  # +1 more like this, -1 less like this
    at: datetime


class PaperRepository(Protocol):
    def upsert_papers(self, papers: Sequence[Paper], seen_at: datetime) -> UpsertCounts: ...

    def get_paper(self, key: str) -> Paper | None:
        """By stored key or by arXiv id (any version)."""
        ...

    def get_papers(self, keys: Sequence[str]) -> dict[str, Paper]:
        """The stored papers among ``keys`` (stored keys only), by key."""
        ...

    def list_papers(
        self, *, since: datetime | None = None, limit: int | None = None
    ) -> list[Paper]:
        """Papers first seen at or after ``since``, newest first."""
        ...

    def count_papers(self) -> int: ...


class WorkspaceRepository(Protocol):
    def ensure_workspace(self, platform: Platform, workspace_id: str) -> Workspace: ...

    def save_workspace(self, workspace: Workspace) -> Workspace: ...


class ChannelRepository(Protocol):
    def ensure_channel(
        self, platform: Platform, workspace_id: str, channel_id: str, *, name: str | None = None
    ) -> Channel:
        """The channel's record, created with defaults the first time it is seen."""
        ...

    def get_channel(self, channel_id: int) -> Channel | None: ...

    def get_channels(self, channel_ids: Sequence[int]) -> dict[int, Channel]:
        """The known channels among ``channel_ids``, by id."""
        ...

    def save_channel(self, channel: Channel) -> Channel:
        """Stores the channel's settings and moves ``channels_revision`` on."""
        ...

    def list_channels(self, platform: Platform | None = None) -> list[Channel]: ...

    def channels_revision(self) -> int:
        """A number that changes whenever any channel's settings are saved, by any replica:
        the scheduler's leader reads it every few seconds to pick new schedules up."""
        ...


class InterestRepository(Protocol):
    def add_interest(self, channel_id: int, interest: Interest) -> Interest: ...

    def list_interests(self, channel_id: int) -> list[Interest]:
        """In the order they were added."""
        ...

    def followed_queries(self) -> list[str]:
        """Every distinct query interest of the channels that are not paused, in one read
        (the ranker scores them together once a day)."""
        ...

    def remove_interest(self, channel_id: int, interest_id: int) -> bool: ...

    def clear_interests(self, channel_id: int) -> int: ...


class DeliveryRepository(Protocol):
    def start_run(self, run: DigestRun, paper_keys: Sequence[str] = ()) -> DigestRun:
        """Records a run and, in the same transaction, the deliveries of ``paper_keys`` (as
        ``record_deliveries`` would): a crash can never leave a run without its outbox rows,
        which a sender would settle as having nothing left to send."""
        ...

    def claim_runs(
        self, owner: str, *, now: datetime, lease: timedelta, limit: int
    ) -> list[DigestRun]:
        """Queued runs nobody holds (or whose holder's lease ran out), oldest first, now held
        by ``owner`` until ``now + lease``; each claim counts one attempt. Concurrent
        claimers (replicas) always get disjoint runs."""
        ...

    def renew_claims(self, owner: str, run_ids: Sequence[int], until: datetime) -> set[int]:
        """Extends ``owner``'s leases; returns the runs it still holds."""
        ...

    def release_run(self, run_id: int, owner: str, *, retry_at: datetime | None) -> None:
        """Gives a queued run back, claimable again from ``retry_at`` (at once if None)."""
        ...

    def release_claims(self, owner: str) -> int:
        """Frees every queued run ``owner`` holds; returns how many."""
        ...

    def settle_run(
        self, run_id: int, *, status: str, picked: int, message_id: str | None = None
    ) -> None:
        """Ends a run as sent or failed; its pending deliveries take that status."""
        ...

    def settle_runs(self, settlements: Sequence[Settlement]) -> None:
        """``settle_run`` for many runs, in one transaction."""
        ...

    def pending_keys(self, run_ids: Sequence[int]) -> dict[int, set[str]]:
        """Per run, the papers whose delivery is still pending (runs with none are left out)."""
        ...

    def last_run(self, channel_id: int) -> DigestRun | None: ...

    def get_run(self, run_id: int) -> DigestRun | None: ...

    def record_deliveries(
        self, channel_id: int, run_id: int | None, paper_keys: Sequence[str]
    ) -> list[Delivery]:
        """Outbox rows for papers this channel has never had; already delivered keys are skipped."""
        ...

    def delivered_keys(self, channel_id: int) -> set[str]: ...

    def mark_delivery(
        self, delivery_id: int, *, status: str, message_id: str | None = None
    ) -> None: ...

    def find_message(
        self,
        platform: Platform,
        workspace_id: str,
        message_id: str,
        *,
        channel_id: str | None = None,
    ) -> MessagePapers | None:
        """The channel and papers of a digest message we posted, by the platform's message id
        (``channel_id`` narrows it where ids are only unique per channel, as Slack's are)."""
        ...

    def list_deliveries(self, channel_id: int, *, run_id: int | None = None) -> list[Delivery]:
        """The channel's deliveries (only one run's, with ``run_id``), oldest first."""
        ...


class MatchRepository(Protocol):
    """What the trends picture and the instant alerts read and write."""

    def record_matches(self, channel_id: int, matches: Sequence[Match]) -> int:
        """Keeps the matches the channel does not have yet; returns how many were new."""
        ...

    def list_matches(self, channel_id: int, *, since: date) -> list[Match]:
        """The channel's matches of papers dated ``since`` or later."""
        ...

    def count_runs(self, channel_id: int, *, kind: str, since: datetime) -> int:
        """How many runs of ``kind`` the channel has had since then (e.g. alerts today)."""
        ...

    def delivered_since(self, channel_ids: Sequence[int], since: datetime) -> set[str]:
        """Papers delivered (sent or on their way) to any of the channels since then."""
        ...


@dataclass(frozen=True, kw_only=True, slots=True)
class RunEvent:
    """Something that happened while delivering a run: for the delivery log.

    ``kind`` is ``sent``, ``retry`` (a failure; the run goes back to the queue), ``refused``
    (the platform said no for good), ``gave_up`` or ``rate_limited`` (the platform answered
    429 and the sender ``waited`` that many seconds)."""

    run_id: int
    at: datetime
    kind: str
    detail: str | None = None
    waited: float = 0.0
    id: int | None = None


class RunEventRepository(Protocol):
    def record_run_events(self, events: Sequence[RunEvent]) -> None: ...

    def list_run_events(self, run_ids: Sequence[int]) -> list[RunEvent]:
        """The events of these runs, oldest first."""
        ...

    def list_runs(self, channel_id: int, *, limit: int = 50) -> list[DigestRun]:
        """The channel's runs, newest first."""
        ...


class SecretStore(Protocol):
    def ensure_secret(self, name: str, candidate: str) -> str:
        """The secret stored as ``name``; ``candidate`` is stored first when there is none.
        Concurrent first callers all get the one that was stored."""
        ...


class FeedbackRepository(Protocol):
    def record_feedback(self, feedback: Feedback) -> None:
        """One vote per (channel, paper, user); a new vote replaces the old one."""
        ...

    def retract_feedback(self, channel_id: int, paper_key: str, user_id: str, value: int) -> bool:
        """Forget a user's vote on a paper if it is ``value`` (a removed 👍 leaves a later 👎
        alone); true when a vote was removed."""
        ...

    def list_feedback(self, channel_id: int) -> list[Feedback]: ...


class SummaryCache(Protocol):
    def get_summary(self, paper_key: str, summariser: str) -> str | None: ...

    def put_summary(self, paper_key: str, summariser: str, content: str, at: datetime) -> None: ...


class ValidatorStore(Protocol):
    """Where ETag / Last-Modified of past responses are kept, by URL (conditional GET)."""

    def get_validators(self, url: str) -> tuple[str | None, str | None]: ...

    def put_validators(self, url: str, etag: str | None, last_modified: str | None) -> None: ...


@dataclass(frozen=True, kw_only=True, slots=True)
class StoredEmbedding:
    """A paper's vectors: its whole text, and one row per sentence (title first)."""

    vector: npt.NDArray[np.float32]
    sentences: npt.NDArray[np.float32]


class EmbeddingStore(Protocol):
    """Embeddings are computed once per paper and model, and kept."""

    def get_embeddings(self, keys: Sequence[str], model: str) -> dict[str, StoredEmbedding]: ...

    def put_embeddings(self, model: str, embeddings: Mapping[str, StoredEmbedding]) -> None: ...


class SourceStateRepository(Protocol):
    def get_source_health(self, name: str) -> SourceHealth: ...

    def save_source_health(self, health: SourceHealth) -> None: ...

    def list_source_health(self) -> list[SourceHealth]: ...


class Repository(
    PaperRepository,
    WorkspaceRepository,
    ChannelRepository,
    InterestRepository,
    DeliveryRepository,
    RunEventRepository,
    SecretStore,
    FeedbackRepository,
    MatchRepository,
    SummaryCache,
    SourceStateRepository,
    ValidatorStore,
    EmbeddingStore,
    Protocol,
):
    """Everything the services store, as one object (memory or SQL)."""
