"""Scheduling logic (pure): when a channel's digest is due, in its own time zone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from digest.models import WEEKDAYS, DigestRun, Schedule

__all__ = ["already_sent_on", "is_due", "next_run"]


def next_run(schedule: Schedule, now: datetime) -> datetime:
    """The next moment the schedule fires after ``now`` (DST-correct, via ZoneInfo)."""
    zone = ZoneInfo(schedule.timezone)
    local = now.astimezone(zone)
    hour, minute = (int(x) for x in schedule.time.split(":"))
    for offset in range(8):
        day = local.date() + timedelta(days=offset)
        candidate = datetime.combine(day, time(hour, minute), tzinfo=zone)
        if WEEKDAYS[day.weekday()] in schedule.days and candidate > local:
            return candidate
    raise ValueError("a schedule needs at least one day")


def already_sent_on(last: DigestRun | None, day: date, timezone: str) -> bool:
    """Whether the channel's last digest run was on ``day`` in the channel's zone.

    A queued run counts: the outbox sends it (once) whoever composed it. A failed run does
    not: its channel was refused, and once resumed it may have the day's digest.
    """
    if last is None or last.status == "failed":
        return False
    return last.started_at.astimezone(ZoneInfo(timezone)).date() == day


def is_due(schedule: Schedule, last: DigestRun | None, now: datetime) -> bool:
    """Due now: today is a schedule day, the time has passed, and nothing went out today.

    This is what makes a restart after a missed 09:00 send the digest once, never twice,
    and never a backlog of old days.
    """
    zone = ZoneInfo(schedule.timezone)
    local = now.astimezone(zone)
    hour, minute = (int(x) for x in schedule.time.split(":"))
    fire = datetime.combine(local.date(), time(hour, minute), tzinfo=zone)
    return (
        WEEKDAYS[local.weekday()] in schedule.days
        and local >= fire
        and not already_sent_on(last, local.date(), schedule.timezone)
    )
