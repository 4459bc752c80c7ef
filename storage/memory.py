"""An in-memory Repository: a real implementation for tests, the console and local runs."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import numpy as np
from digest.identifiers import normalise_title, parse_arxiv_id
from digest.models import (
    Channel,
    DigestRun,
    Interest,
    InterestKind,
    Paper,
    Platform,
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

from storage.memory_events import MemoryEvents
from storage.memory_matches import MemoryMatches
from storage.upsert import plan_upsert

__all__ = ["MemoryRepository"]


class MemoryRepository(MemoryMatches, MemoryEvents):
    """Keeps everything in dicts. Not shared between processes; lost on exit."""

    def __init__(self) -> None:
        super().__init__()
        self._papers: dict[str, Paper] = {}
        self._workspaces: dict[tuple[str, str], Workspace] = {}
        self._channels: dict[int, Channel] = {}
        self._interests: dict[int, Interest] = {}
        self._interest_channel: dict[int, int] = {}
        self._runs: dict[int, DigestRun] = {}
        self._deliveries: dict[int, Delivery] = {}
        self._feedback: dict[tuple[int, str, str], Feedback] = {}
        self._summaries: dict[tuple[str, str], str] = {}
        self._sources: dict[str, SourceHealth] = {}
        self._validators: dict[str, tuple[str | None, str | None]] = {}
        self._embeddings: dict[tuple[str, str], StoredEmbedding] = {}
        self._ids = itertools.count(1)
        self._channels_revision = 0

    # papers -------------------------------------------------------------------------------
    def _find(self, paper: Paper) -> Paper | None:
        # The same three steps as SqlRepository._find: arXiv id, then DOI, then title, never
        # merging two records that carry different arXiv ids or different DOIs.
        stored = list(self._papers.values())
        if paper.arxiv_id:
            match = next((p for p in stored if p.arxiv_id == paper.arxiv_id), None)
            if match:
                return match
        candidates = [p for p in stored if not (p.arxiv_id and paper.arxiv_id)]
        if paper.doi:
            match = next((p for p in candidates if p.doi == paper.doi), None)
            if match:
                return match
        title_key = normalise_title(paper.title)
        return next(
            (
                p
                for p in candidates
                if not (p.doi and paper.doi) and normalise_title(p.title) == title_key
            ),
            None,
        )

    def upsert_papers(self, papers: Sequence[Paper], seen_at: datetime) -> UpsertCounts:
        inserts, updates, counts = plan_upsert(papers, seen_at, self._find)
        for paper in [*inserts, *updates]:
            self._papers[paper.key] = paper
        return counts

    def get_paper(self, key: str) -> Paper | None:
        if key in self._papers:
            return self._papers[key]
        arxiv = parse_arxiv_id(key)
        if arxiv is None:
            return None
        return next((p for p in self._papers.values() if p.arxiv_id == arxiv.base), None)

    def get_papers(self, keys: Sequence[str]) -> dict[str, Paper]:
        return {k: self._papers[k] for k in keys if k in self._papers}

    def list_papers(
        self, *, since: datetime | None = None, limit: int | None = None
    ) -> list[Paper]:
        papers = [
            p
            for p in self._papers.values()
            if since is None or (p.first_seen and p.first_seen >= since)
        ]
        papers.sort(key=lambda p: (p.first_seen or datetime.min, p.key), reverse=True)
        return papers[:limit] if limit is not None else papers

    def count_papers(self) -> int:
        return len(self._papers)

    # workspaces and channels --------------------------------------------------------------
    def ensure_workspace(self, platform: Platform, workspace_id: str) -> Workspace:
        key = (str(platform), workspace_id)
        if key not in self._workspaces:
            self._workspaces[key] = Workspace(platform=platform, workspace_id=workspace_id)
        return self._workspaces[key]

    def save_workspace(self, workspace: Workspace) -> Workspace:
        self._workspaces[(str(workspace.platform), workspace.workspace_id)] = workspace
        return workspace

    def ensure_channel(
        self, platform: Platform, workspace_id: str, channel_id: str, *, name: str | None = None
    ) -> Channel:
        for channel in self._channels.values():
            if (channel.platform, channel.workspace_id, channel.channel_id) == (
                platform,
                workspace_id,
                channel_id,
            ):
                return channel
        workspace = self.ensure_workspace(platform, workspace_id)
        channel = Channel(
            platform=platform, workspace_id=workspace_id, channel_id=channel_id, name=name
        )
        channel = dataclasses.replace(
            channel,
            id=next(self._ids),
            schedule=dataclasses.replace(channel.schedule, timezone=workspace.timezone),
        )
        self._channels[channel.id] = channel  # type: ignore[index]
        self._channels_revision += 1
        return channel

    def get_channels(self, channel_ids: Sequence[int]) -> dict[int, Channel]:
        return {i: c for i in channel_ids if (c := self.get_channel(i)) is not None}

    def get_channel(self, channel_id: int) -> Channel | None:
        return self._channels.get(channel_id)

    def save_channel(self, channel: Channel) -> Channel:
        if channel.id not in self._channels:
            raise KeyError(f"unknown channel {channel.id}")
        self._channels[channel.id] = channel
        self._channels_revision += 1
        return channel

    def channels_revision(self) -> int:
        return self._channels_revision

    def list_channels(self, platform: Platform | None = None) -> list[Channel]:
        return [c for c in self._channels.values() if platform is None or c.platform == platform]

    # interests ----------------------------------------------------------------------------
    def add_interest(self, channel_id: int, interest: Interest) -> Interest:
        stored = dataclasses.replace(interest, id=next(self._ids))
        self._interests[stored.id] = stored  # type: ignore[index]
        self._interest_channel[stored.id] = channel_id  # type: ignore[index]
        return stored

    def list_interests(self, channel_id: int) -> list[Interest]:
        return [
            i for iid, i in self._interests.items() if self._interest_channel[iid] == channel_id
        ]

    def followed_queries(self) -> list[str]:
        return list(
            dict.fromkeys(
                interest.text
                for iid, interest in self._interests.items()
                if interest.kind == InterestKind.QUERY
                and (channel := self._channels.get(self._interest_channel[iid])) is not None
                and not channel.paused
            )
        )

    def remove_interest(self, channel_id: int, interest_id: int) -> bool:
        if self._interest_channel.get(interest_id) != channel_id:
            return False
        del self._interests[interest_id], self._interest_channel[interest_id]
        return True

    def clear_interests(self, channel_id: int) -> int:
        doomed = [iid for iid, cid in self._interest_channel.items() if cid == channel_id]
        for iid in doomed:
            del self._interests[iid], self._interest_channel[iid]
        return len(doomed)

    # runs and deliveries ------------------------------------------------------------------
    def start_run(self, run: DigestRun, paper_keys: Sequence[str] = ()) -> DigestRun:
        stored = dataclasses.replace(run, id=next(self._ids))
        self._runs[stored.id] = stored  # type: ignore[index]
        self.record_deliveries(run.channel_id, stored.id, paper_keys)
        return stored

    def claim_runs(
        self, owner: str, *, now: datetime, lease: timedelta, limit: int
    ) -> list[DigestRun]:
        free = [
            run
            for run in sorted(self._runs.values(), key=lambda r: r.id or 0)
            if run.status == "queued" and (run.lease_until is None or run.lease_until < now)
        ]
        claimed = [
            dataclasses.replace(
                run, claimed_by=owner, lease_until=now + lease, attempts=run.attempts + 1
            )
            for run in free[: max(limit, 0)]
        ]
        for run in claimed:
            self._runs[run.id] = run  # type: ignore[index]
        return claimed

    def renew_claims(self, owner: str, run_ids: Sequence[int], until: datetime) -> set[int]:
        held = {
            i
            for i in run_ids
            if (run := self._runs.get(i)) and run.claimed_by == owner and run.status == "queued"
        }
        for i in held:
            self._runs[i] = dataclasses.replace(self._runs[i], lease_until=until)
        return held

    def release_run(self, run_id: int, owner: str, *, retry_at: datetime | None) -> None:
        run = self._runs.get(run_id)
        if run and run.claimed_by == owner and run.status == "queued":
            self._runs[run_id] = dataclasses.replace(run, claimed_by=None, lease_until=retry_at)

    def release_claims(self, owner: str) -> int:
        mine = [r for r in self._runs.values() if r.claimed_by == owner and r.status == "queued"]
        for run in mine:
            self._runs[run.id] = dataclasses.replace(run, claimed_by=None, lease_until=None)  # type: ignore[index]
        return len(mine)

    def settle_run(
        self, run_id: int, *, status: str, picked: int, message_id: str | None = None
    ) -> None:
        self._runs[run_id] = dataclasses.replace(
            self._runs[run_id], status=status, picked=picked, claimed_by=None, lease_until=None
        )
        for delivery in list(self._deliveries.values()):
            if delivery.run_id == run_id and delivery.status == "pending":
                self._deliveries[delivery.id] = dataclasses.replace(  # type: ignore[index]
                    delivery, status=status, message_id=message_id or delivery.message_id
                )

    def settle_runs(self, settlements: Sequence[Settlement]) -> None:
        for one in settlements:
            self.settle_run(
                one.run_id, status=one.status, picked=one.picked, message_id=one.message_id
            )
            placed = dict(one.messages)
            for delivery in list(self._deliveries.values()):
                if delivery.run_id == one.run_id and delivery.paper_key in placed:
                    self._deliveries[delivery.id] = dataclasses.replace(  # type: ignore[index]
                        delivery, message_id=placed[delivery.paper_key]
                    )

    def pending_keys(self, run_ids: Sequence[int]) -> dict[int, set[str]]:
        wanted = set(run_ids)
        found: dict[int, set[str]] = {}
        for delivery in self._deliveries.values():
            if delivery.run_id in wanted and delivery.status == "pending":
                found.setdefault(delivery.run_id, set()).add(delivery.paper_key)
        return found

    def get_run(self, run_id: int) -> DigestRun | None:
        return self._runs.get(run_id)

    def last_run(self, channel_id: int) -> DigestRun | None:
        runs = [r for r in self._runs.values() if r.channel_id == channel_id]
        return max(runs, key=lambda r: (r.started_at, r.id or 0), default=None)

    def record_deliveries(
        self, channel_id: int, run_id: int | None, paper_keys: Sequence[str]
    ) -> list[Delivery]:
        already = self.delivered_keys(channel_id)
        created: list[Delivery] = []
        for key in dict.fromkeys(paper_keys):
            if key in already:
                continue
            failed = next(
                (
                    d
                    for d in self._deliveries.values()
                    if d.channel_id == channel_id and d.paper_key == key
                ),
                None,
            )
            if failed is not None:  # a failed attempt is claimed again, not duplicated
                retry = dataclasses.replace(failed, status="pending", run_id=run_id)
                self._deliveries[retry.id] = retry  # type: ignore[index]
                created.append(retry)
                continue
            delivery = Delivery(
                channel_id=channel_id, paper_key=key, run_id=run_id, id=next(self._ids)
            )
            self._deliveries[delivery.id] = delivery  # type: ignore[index]
            created.append(delivery)
        return created

    def delivered_keys(self, channel_id: int) -> set[str]:
        return {
            d.paper_key
            for d in self._deliveries.values()
            if d.channel_id == channel_id and d.status != "failed"
        }

    def mark_delivery(
        self, delivery_id: int, *, status: str, message_id: str | None = None
    ) -> None:
        current = self._deliveries[delivery_id]
        self._deliveries[delivery_id] = dataclasses.replace(
            current, status=status, message_id=message_id or current.message_id
        )

    def list_deliveries(self, channel_id: int, *, run_id: int | None = None) -> list[Delivery]:
        return [
            d
            for d in self._deliveries.values()
            if d.channel_id == channel_id and (run_id is None or d.run_id == run_id)
        ]

    # feedback, summaries, sources ---------------------------------------------------------
    def find_message(
        self,
        platform: Platform,
        workspace_id: str,
        message_id: str,
        *,
        channel_id: str | None = None,
    ) -> MessagePapers | None:
        for channel in self._channels.values():
            if channel.platform != platform or channel.workspace_id != workspace_id:
                continue
            if channel_id is not None and channel.channel_id != channel_id:
                continue
            keys = tuple(
                d.paper_key
                for d in self._deliveries.values()
                if d.channel_id == channel.id and d.message_id == message_id
            )
            if keys:
                return MessagePapers(channel=channel, paper_keys=keys)
        return None

    def retract_feedback(self, channel_id: int, paper_key: str, user_id: str, value: int) -> bool:
        current = self._feedback.get((channel_id, paper_key, user_id))
        if current is None or current.value != value:
            return False
        del self._feedback[(channel_id, paper_key, user_id)]
        return True

    def record_feedback(self, feedback: Feedback) -> None:
        self._feedback[(feedback.channel_id, feedback.paper_key, feedback.user_id)] = feedback

    def list_feedback(self, channel_id: int) -> list[Feedback]:
        return [f for (cid, _, _), f in self._feedback.items() if cid == channel_id]

    def get_summary(self, paper_key: str, summariser: str) -> str | None:
        return self._summaries.get((paper_key, summariser))

    def put_summary(self, paper_key: str, summariser: str, content: str, at: datetime) -> None:
        self._summaries[(paper_key, summariser)] = content

    def get_source_health(self, name: str) -> SourceHealth:
        return self._sources.get(name, SourceHealth(name=name))

    def save_source_health(self, health: SourceHealth) -> None:
        self._sources[health.name] = health

    def get_embeddings(self, keys: Sequence[str], model: str) -> dict[str, StoredEmbedding]:
        return {k: self._embeddings[(k, model)] for k in keys if (k, model) in self._embeddings}

    def put_embeddings(self, model: str, embeddings: Mapping[str, StoredEmbedding]) -> None:
        for key, embedding in embeddings.items():
            # Stored at half precision, as the SQL repository does: what comes back is the same.
            self._embeddings[(key, model)] = StoredEmbedding(
                vector=embedding.vector.astype(np.float16).astype(np.float32),
                sentences=embedding.sentences.astype(np.float16).astype(np.float32),
            )

    def get_validators(self, url: str) -> tuple[str | None, str | None]:
        return self._validators.get(url, (None, None))

    def put_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        self._validators[url] = (etag, last_modified)

    def list_source_health(self) -> list[SourceHealth]:
        return sorted(self._sources.values(), key=lambda h: h.name)
