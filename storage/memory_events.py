"""The in-memory Repository's delivery log (runs and their events) and generated secrets."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from digest.models import DigestRun
from digest.ports import RunEvent

__all__ = ["MemoryEvents"]


class MemoryEvents:
    """``RunEventRepository`` and ``SecretStore`` over the runs ``MemoryRepository`` keeps."""

    _runs: dict[int, DigestRun]

    def __init__(self) -> None:
        super().__init__()  # cooperative: MemoryRepository mixes in several
        self._events: list[RunEvent] = []
        self._event_ids = itertools.count(1)
        self._secrets: dict[str, str] = {}

    def record_run_events(self, events: Sequence[RunEvent]) -> None:
        for event in events:
            self._events.append(
                RunEvent(
                    id=next(self._event_ids),
                    run_id=event.run_id,
                    at=event.at,
                    kind=event.kind,
                    detail=event.detail,
                    waited=event.waited,
                )
            )

    def list_run_events(self, run_ids: Sequence[int]) -> list[RunEvent]:
        wanted = set(run_ids)
        found = [e for e in self._events if e.run_id in wanted]
        return sorted(found, key=lambda e: (e.at, e.id or 0))

    def list_runs(self, channel_id: int, *, limit: int = 50) -> list[DigestRun]:
        runs = [r for r in self._runs.values() if r.channel_id == channel_id]
        runs.sort(key=lambda r: (r.started_at, r.id or 0), reverse=True)
        return runs[:limit]

    def ensure_secret(self, name: str, candidate: str) -> str:
        return self._secrets.setdefault(name, candidate)
