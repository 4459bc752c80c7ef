"""Schedules in channels' own time zones, across DST, and missed-run recovery."""

from __future__ import annotations

from datetime import UTC, datetime

from digest.models import DigestRun, Schedule
from digest.schedule import is_due, next_run


def test_next_run_respects_time_zone_and_weekdays() -> None:
    weekdays = Schedule(time="09:00", timezone="Europe/Berlin")
    friday_evening = datetime(2026, 6, 12, 18, 0, tzinfo=UTC)
    assert next_run(weekdays, friday_evening).isoformat() == "2026-06-15T09:00:00+02:00"


def test_next_run_across_the_dst_change() -> None:
    daily = Schedule(
        time="09:00",
        timezone="America/New_York",
        days=("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
    )
    before = datetime(2026, 3, 7, 15, 0, tzinfo=UTC)  # Saturday, EST (UTC-5)
    after = next_run(daily, before)
    assert after.isoformat() == "2026-03-08T09:00:00-04:00"  # Sunday, EDT (UTC-4)
    assert after.astimezone(UTC).hour == 13


def test_missed_run_is_due_once_and_never_for_old_days() -> None:
    schedule = Schedule(time="09:00", timezone="UTC")
    restart = datetime(2026, 6, 12, 11, 30, tzinfo=UTC)  # down at 09:00, back at 11:30
    assert is_due(schedule, None, restart)
    sent = DigestRun(
        channel_id=1, started_at=datetime(2026, 6, 12, 11, 30, 5, tzinfo=UTC), status="sent"
    )
    assert not is_due(schedule, sent, restart.replace(minute=40))
    assert not is_due(schedule, None, datetime(2026, 6, 12, 8, 59, tzinfo=UTC))
    assert not is_due(schedule, None, datetime(2026, 6, 13, 10, 0, tzinfo=UTC))  # Saturday
    failed = DigestRun(channel_id=1, started_at=restart, status="failed")
    assert is_due(schedule, failed, restart.replace(minute=45))
    # Composed and waiting in the outbox: it goes out once from there, never composed twice.
    queued = DigestRun(channel_id=1, started_at=restart, status="queued")
    assert not is_due(schedule, queued, restart.replace(minute=45))
