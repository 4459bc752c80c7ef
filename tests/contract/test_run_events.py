"""The delivery log's runs and events, and generated secrets, on every Repository."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from digest.models import DigestRun, Platform
from digest.ports import Repository, RunEvent

T0 = datetime(2026, 6, 12, 8, 0, tzinfo=UTC)


def test_runs_newest_first_with_their_events_oldest_first(repository: Repository) -> None:
    channel = repository.ensure_channel(Platform.SLACK, "T1", "C1")
    other = repository.ensure_channel(Platform.SLACK, "T1", "C2")
    assert channel.id is not None and other.id is not None
    first = repository.start_run(DigestRun(channel_id=channel.id, started_at=T0))
    second = repository.start_run(
        DigestRun(channel_id=channel.id, started_at=T0 + timedelta(days=1))
    )
    repository.start_run(DigestRun(channel_id=other.id, started_at=T0))
    assert first.id is not None and second.id is not None
    assert [r.id for r in repository.list_runs(channel.id)] == [second.id, first.id]
    assert [r.id for r in repository.list_runs(channel.id, limit=1)] == [second.id]
    repository.record_run_events(
        [
            RunEvent(run_id=first.id, at=T0 + timedelta(seconds=5), kind="sent"),
            RunEvent(
                run_id=first.id,
                at=T0 + timedelta(seconds=1),
                kind="retry",
                detail="ConnectionError",
            ),
            RunEvent(
                run_id=second.id, at=T0 + timedelta(seconds=2), kind="rate_limited", waited=1.5
            ),
        ]
    )
    events = repository.list_run_events([first.id])
    assert [(e.kind, e.detail) for e in events] == [("retry", "ConnectionError"), ("sent", None)]
    assert events[0].at == T0 + timedelta(seconds=1)
    both = repository.list_run_events([first.id, second.id])
    assert [e.kind for e in both] == ["retry", "rate_limited", "sent"]
    assert both[1].waited == 1.5
    assert repository.list_run_events([]) == []


def test_a_secret_is_stored_once_and_kept(repository: Repository) -> None:
    assert repository.ensure_secret("panel", "first") == "first"
    assert repository.ensure_secret("panel", "second") == "first"
    assert repository.ensure_secret("other", "x") == "x"
