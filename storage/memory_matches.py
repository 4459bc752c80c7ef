"""The in-memory Repository's interest matches and the counts alerts and personal digests
need (the MatchRepository port)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from digest.models import DigestRun, Match
from digest.ports import Delivery

__all__ = ["MemoryMatches"]


class MemoryMatches:
    """Mixed into ``MemoryRepository``, whose runs and deliveries it reads."""

    _runs: dict[int, DigestRun]
    _deliveries: dict[int, Delivery]

    def __init__(self) -> None:
        super().__init__()  # cooperative: MemoryRepository mixes in several
        self._matches: dict[tuple[int, str, str], Match] = {}

    def record_matches(self, channel_id: int, matches: Sequence[Match]) -> int:
        new = 0
        for match in matches:
            key = (channel_id, match.interest, match.paper_key)
            if key not in self._matches:
                self._matches[key] = match
                new += 1
        return new

    def list_matches(self, channel_id: int, *, since: date) -> list[Match]:
        return sorted(
            (m for (cid, _, _), m in self._matches.items() if cid == channel_id and m.day >= since),
            key=lambda m: m.day,
        )

    def count_runs(self, channel_id: int, *, kind: str, since: datetime) -> int:
        return sum(
            1
            for run in self._runs.values()
            if run.channel_id == channel_id and run.kind == kind and run.started_at >= since
        )

    def delivered_since(self, channel_ids: Sequence[int], since: datetime) -> set[str]:
        wanted = set(channel_ids)
        return {
            d.paper_key
            for d in self._deliveries.values()
            if d.channel_id in wanted
            and d.status != "failed"
            and d.run_id is not None
            and (run := self._runs.get(d.run_id)) is not None
            and run.started_at >= since
        }
