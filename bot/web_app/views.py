"""What the panel's pages show, read from the repository (no HTML here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from zoneinfo import available_timezones

from bot.commands import BOOSTS
from digest.models import WEEKDAYS, Channel, DigestRun, Interest, Platform, Schedule
from digest.ports import Repository, RunEvent

__all__ = [
    "ChannelRow",
    "LogEntry",
    "LogPaper",
    "VoteRow",
    "boosts_of",
    "channel_label",
    "days_choice",
    "delivery_log",
    "interests_of",
    "message_url",
    "timezones",
    "votes_of",
    "workspace_channels",
]

_BOOST_LABELS = {
    "upvotes": "Papers with many HF upvotes",
    "recency": "The newest papers",
    "code": "Papers with code",
}


@dataclass(frozen=True, kw_only=True, slots=True)
class ChannelRow:
    channel: Channel
    label: str
    interests: int
    last: DigestRun | None


@dataclass(frozen=True, kw_only=True, slots=True)
class LogPaper:
    title: str
    link: str | None
    status: str
    message_id: str | None
    message_url: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class LogEntry:
    run: DigestRun
    papers: tuple[LogPaper, ...]
    events: tuple[RunEvent, ...]
    sent_at: datetime | None
    retries: int
    rate_limited: int
    waited: float


@dataclass(frozen=True, kw_only=True, slots=True)
class VoteRow:
    at: datetime
    user_id: str
    value: int
    title: str


def channel_label(channel: Channel) -> str:
    return f"#{channel.name}" if channel.name else channel.channel_id


def workspace_channels(
    repository: Repository, platform: Platform, workspace_id: str
) -> list[ChannelRow]:
    channels = [c for c in repository.list_channels(platform) if c.workspace_id == workspace_id]
    rows = []
    for channel in sorted(channels, key=lambda c: channel_label(c).lower()):
        assert channel.id is not None
        rows.append(
            ChannelRow(
                channel=channel,
                label=channel_label(channel),
                interests=len(repository.list_interests(channel.id)),
                last=repository.last_run(channel.id),
            )
        )
    return rows


def boosts_of(channel: Channel) -> list[tuple[str, str, bool]]:
    return [(b, _BOOST_LABELS[b], bool(getattr(channel, f"boost_{b}"))) for b in BOOSTS]


def days_choice(schedule: Schedule) -> str:
    """The schedule form's choice that matches the channel's days ("" when none does)."""
    if schedule.days == WEEKDAYS:
        return "daily"
    if schedule.days == WEEKDAYS[:5]:
        return "weekdays"
    if len(schedule.days) == 1:
        return f"weekly {schedule.days[0]}"
    return ""


@lru_cache(maxsize=1)
def timezones() -> tuple[str, ...]:
    return ("UTC", *sorted(z for z in available_timezones() if "/" in z))


def message_url(channel: Channel, message_id: str | None) -> str | None:
    """A link to a posted message, where the platform has one."""
    if not message_id:
        return None
    if channel.platform == Platform.SLACK:
        return f"https://slack.com/archives/{channel.channel_id}/p{message_id.replace('.', '')}"
    if channel.platform == Platform.DISCORD:
        guild = channel.workspace_id if channel.workspace_id != "dm" else "@me"
        return f"https://discord.com/channels/{guild}/{channel.channel_id}/{message_id}"
    return None


def delivery_log(repository: Repository, channel: Channel, *, limit: int = 30) -> list[LogEntry]:
    """Each digest, newest first: when it was queued and sent, its papers and messages, and
    what happened on the way (failures and retries, 429s waited)."""
    assert channel.id is not None
    runs = repository.list_runs(channel.id, limit=limit)
    events: dict[int, list[RunEvent]] = {}
    for event in repository.list_run_events([r.id for r in runs if r.id is not None]):
        events.setdefault(event.run_id, []).append(event)
    deliveries = {
        (d.run_id, d.paper_key): d for d in repository.list_deliveries(channel.id) if d.run_id
    }
    keys = [i.paper_key for r in runs for i in r.items]
    papers = repository.get_papers(keys) if keys else {}
    entries = []
    for run in runs:
        assert run.id is not None
        mine = events.get(run.id, [])
        shown = []
        for item in run.items:
            paper = papers.get(item.paper_key)
            delivery = deliveries.get((run.id, item.paper_key))
            message_id = delivery.message_id if delivery else None
            shown.append(
                LogPaper(
                    title=paper.title if paper else item.paper_key,
                    link=paper.link if paper else None,
                    status=delivery.status if delivery else "not recorded",
                    message_id=message_id,
                    message_url=message_url(channel, message_id),
                )
            )
        sent = [e.at for e in mine if e.kind == "sent"]
        limited = [e for e in mine if e.kind == "rate_limited"]
        entries.append(
            LogEntry(
                run=run,
                papers=tuple(shown),
                events=tuple(mine),
                sent_at=sent[-1] if sent else None,
                retries=sum(1 for e in mine if e.kind == "retry"),
                rate_limited=len(limited),
                waited=sum(e.waited for e in limited),
            )
        )
    return entries


def votes_of(repository: Repository, channel: Channel) -> list[VoteRow]:
    assert channel.id is not None
    votes = sorted(repository.list_feedback(channel.id), key=lambda f: f.at, reverse=True)
    papers = repository.get_papers([v.paper_key for v in votes]) if votes else {}
    return [
        VoteRow(
            at=v.at,
            user_id=v.user_id,
            value=v.value,
            title=papers[v.paper_key].title if v.paper_key in papers else v.paper_key,
        )
        for v in votes
    ]


def interests_of(repository: Repository, channel: Channel) -> list[Interest]:
    assert channel.id is not None
    return repository.list_interests(channel.id)
