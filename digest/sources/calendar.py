"""arXiv's announcement calendar: which days an empty feed is expected, not an outage.

arXiv announces new submissions Sunday to Thursday at 20:00 US Eastern; the feeds dated the
following Monday to Friday carry them. Feeds for Saturday and Sunday are empty by design.
Holidays (listed on arXiv's schedule page) also skip announcements; they are not enumerated
here, so an empty weekday is reported as "empty" with a note rather than as an outage.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

__all__ = ["ARXIV_TZ", "arxiv_feed_day", "expects_announcement"]

ARXIV_TZ = ZoneInfo("America/New_York")


def expects_announcement(day: date) -> bool:
    """Whether the arXiv feed for ``day`` (US Eastern date) should carry papers."""
    return day.weekday() < 5


def arxiv_feed_day(moment: datetime) -> date:
    """The US Eastern date whose feed is current at ``moment``."""
    return moment.astimezone(ARXIV_TZ).date()
