"""Platform-neutral message values: a digest and a command reply. Adapters render these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from digest.models import Channel, DigestItem, Paper
from digest.trends import Trends

__all__ = ["Digest", "Reply", "quiet_day_text", "short_tldr", "shorten_authors", "truncate"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Digest:
    channel: Channel
    day: date
    items: tuple[DigestItem, ...]
    scanned: int
    failed_sources: tuple[str, ...] = ()
    note: str | None = None  # why a day is quiet, when it is
    preview: bool = False
    left_out: tuple[DigestItem, ...] = ()  # preview only: close calls and why they missed
    # "digest"; "alert" (one paper of an instant follow, posted on ingest); "trends" (the
    # channel's trends picture, drawn by the publisher from ``trends``).
    kind: str = "digest"
    trends: Trends | None = None

    @property
    def is_empty(self) -> bool:
        return not self.items

    @property
    def title(self) -> str:
        label = "Preview of tomorrow's papers" if self.preview else "Papers for"
        return f"{label} {self.day:%a %d %b %Y}" if not self.preview else label

    @property
    def footer(self) -> str:
        parts = [f"{self.scanned} new papers scanned"]
        if self.failed_sources:
            parts.append(f"unavailable today: {', '.join(self.failed_sources)}")
        return " · ".join(parts)


@dataclass(frozen=True, kw_only=True, slots=True)
class Reply:
    """An answer to a command. All text is plain: renderers escape it for their platform."""

    text: str
    lines: tuple[str, ...] = ()
    ephemeral: bool = True
    papers: tuple[Paper, ...] = ()
    digest: Digest | None = None
    error: bool = False
    # A question that needs a yes/no before anything changes (e.g. clearing interests).
    confirm_command: str | None = None
    usage: str | None = None
    # The papers are candidates to choose from (each gets a "summarise this" control).
    choices: bool = False
    # A summary the asker may share with the channel: the paper's key.
    share_key: str | None = None
    # A trends picture to post with the reply (drawn at the edge): /papers trends.
    trends: Trends | None = None
    # A link paperboy made for the asker (the control panel's): rendered as a link, never
    # escaped as text would be (so it must never hold untrusted text).
    link: str | None = None


def truncate(text: str, limit: int) -> str:
    """At most ``limit`` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def short_tldr(paper: Paper, limit: int) -> str:
    """A paper's TL;DR when no summary was composed: HF's AI summary, else the abstract cut
    at a sentence end within ``limit`` characters."""
    text = paper.ai_summary or paper.abstract
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind(". "), cut.rfind("? "))
    return cut[: end + 1] if end > limit // 3 else cut.rstrip() + "…"


def shorten_authors(paper: Paper, limit: int = 3) -> str:
    if paper.authors:
        names = list(paper.authors)
        shown = ", ".join(names[:limit])
        return f"{shown} et al." if len(names) > limit else shown
    if paper.author_count:
        return f"{paper.author_count} authors"
    return paper.organization or ""


def quiet_day_text(scanned: int, day: date, note: str | None) -> str:
    reason = note or (
        "arXiv does not announce on Fridays and Saturdays" if day.weekday() in (5, 6) else None
    )
    text = f"No new papers matched today ({scanned} scanned"
    return f"{text}; {reason})." if reason else f"{text})."
