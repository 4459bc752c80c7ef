"""Discord rendering (pure): digests and replies as embeds within Discord's limits.

Mentions in paper text can never ping (every message is sent with ``allowed_mentions`` none);
markdown in titles is escaped so a title cannot restyle the message.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from digest.compose import Digest, Reply, quiet_day_text, short_tldr, shorten_authors, truncate
from digest.models import DigestItem, Paper

__all__ = [
    "LIMITS",
    "DiscordMessage",
    "escape",
    "render_alert",
    "render_digest",
    "render_reply",
    "short_key",
]


@dataclass(frozen=True, kw_only=True, slots=True)
class _Limits:
    content: int = 2000
    embeds: int = 10
    title: int = 256
    description: int = 4096
    fields: int = 25
    field_name: int = 256
    field_value: int = 1024
    footer: int = 2048
    total: int = 6000  # characters across all embeds of one message
    custom_id: int = 100
    rows: int = 5
    papers_per_message: int = 5  # one row of three buttons per paper, five rows at most


LIMITS = _Limits()
_MARKDOWN = re.compile(r"([\\*_~`|>\[\]()#-])")


@dataclass(frozen=True, kw_only=True, slots=True)
class DiscordMessage:
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    # rows of buttons: (label, custom_id, style) where style is "primary"/"secondary"/"success"
    rows: list[list[tuple[str, str, str]]] = field(default_factory=list)
    papers: tuple[str, ...] = ()  # keys of the papers this message shows


def escape(text: str) -> str:
    return _MARKDOWN.sub(r"\\\1", text)


def short_key(key: str) -> str:
    """A paper key that fits a button's 100-character custom_id alongside its prefix."""
    return key if len(key) <= 70 else "h:" + hashlib.sha1(key.encode()).hexdigest()[:24]  # noqa: S324


def _links(paper: Paper) -> str:
    parts = [
        f"[{label}]({url})"
        for label, url in (
            ("arXiv", paper.abs_url),
            ("PDF", paper.pdf_url),
            ("HF", paper.hf_url),
            ("code", paper.code_url),
            ("project", paper.project_url),
        )
        if url and url.startswith(("https://", "http://"))
    ]
    return " · ".join(parts)


def _embed(number: int, paper: Paper, *, tldr: str, why: str | None) -> dict[str, Any]:
    authors = escape(shorten_authors(paper))
    description = "\n".join(
        filter(
            None,
            [
                f"*{authors}*" if authors else "",
                escape(tldr),
                f"**Why:** {escape(why)}" if why else "",
            ],
        )
    )
    embed: dict[str, Any] = {
        "title": truncate(f"{number}. {paper.title}", LIMITS.title),
        "description": truncate(description, LIMITS.description),
        "color": 0x5865F2,
        "fields": [],
    }
    if paper.link and paper.link.startswith(("https://", "http://")):
        embed["url"] = paper.link
    links = _links(paper)
    if links:
        embed["fields"].append(
            {"name": "Links", "value": truncate(links, LIMITS.field_value), "inline": True}
        )
    if paper.upvotes:
        embed["fields"].append(
            {"name": "HF upvotes", "value": f"▲ {paper.upvotes}", "inline": True}
        )
    if paper.thumbnail and paper.thumbnail.startswith("https://"):
        embed["thumbnail"] = {"url": paper.thumbnail}
    return embed


def _size(embed: dict[str, Any]) -> int:
    size = len(embed.get("title", "")) + len(embed.get("description", ""))
    size += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
    return size + len(embed.get("footer", {}).get("text", ""))


def _fit(embeds: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Shorten descriptions until the message's embeds total at most 6,000 characters."""
    while sum(_size(e) for e in embeds) > LIMITS.total:
        longest = max(embeds, key=lambda e: len(e.get("description", "")))
        excess = sum(_size(e) for e in embeds) - LIMITS.total
        keep = max(40, len(longest["description"]) - excess - 1)
        if keep >= len(longest["description"]):
            break
        longest["description"] = truncate(longest["description"], keep)
    return embeds


def _buttons(number: int, paper: Paper) -> list[tuple[str, str, str]]:
    key = short_key(paper.key)
    return [
        (f"👍 {number}. More like this", f"paperboy:more:{key}", "success"),
        (f"👎 {number}. Less like this", f"paperboy:less:{key}", "secondary"),
        (f"{number}. Summarize", f"paperboy:summary:{key}", "primary"),
    ]


def render_digest(digest: Digest) -> list[DiscordMessage]:
    title = digest.title + (f" — #{digest.channel.name}" if digest.channel.name else "")
    if digest.is_empty:
        quiet = quiet_day_text(digest.scanned, digest.day, digest.note)
        return [
            DiscordMessage(
                content=truncate(f"**{escape(title)}**\n{escape(quiet)}", LIMITS.content)
            )
        ]
    messages: list[DiscordMessage] = []
    items: list[DigestItem] = list(digest.items)
    single = digest.channel.layout == "single"
    if single:  # a header, then one message per paper: a reaction votes on its paper
        count = len(items)
        messages.append(
            DiscordMessage(
                content=truncate(
                    f"**{escape(title)}**\n{count} paper{'s' if count != 1 else ''}, one "
                    "message each: react with 👍 or 👎 to get more or fewer like it.\n"
                    f"-# {escape(digest.footer)}",
                    LIMITS.content,
                )
            )
        )
    per_message = 1 if single else LIMITS.papers_per_message
    for start in range(0, len(items), per_message):
        chunk = items[start : start + per_message]
        embeds = [
            _embed(
                start + n, item.paper, tldr=item.tldr or short_tldr(item.paper, 600), why=item.why
            )
            for n, item in enumerate(chunk, start=1)
        ]
        if not single and start + per_message >= len(items):
            embeds[-1]["footer"] = {"text": truncate(digest.footer, LIMITS.footer)}
        header = f"**{escape(title)}**" if start == 0 else f"**{escape(title)}** (continued)"
        messages.append(
            DiscordMessage(
                content="" if single else truncate(header, LIMITS.content),
                embeds=_fit(embeds),
                rows=[_buttons(start + n, item.paper) for n, item in enumerate(chunk, start=1)],
                papers=tuple(item.paper.key for item in chunk),
            )
        )
    return messages


def render_alert(digest: Digest) -> DiscordMessage:
    """An instant alert: one paper, why it came at once, its vote buttons; mentions nobody
    (every message is sent with mentions disabled, and the text is escaped)."""
    item = digest.items[0]
    return DiscordMessage(
        content=truncate(f"🔔 **New paper** {escape(item.why)}", LIMITS.content),
        embeds=_fit([_embed(1, item.paper, tldr=short_tldr(item.paper, 600), why=None)]),
        rows=[_buttons(1, item.paper)],
        papers=(item.paper.key,),
    )


def render_reply(reply: Reply) -> DiscordMessage:
    text = f"**{escape(reply.text)}**" if not reply.error else f"⚠️ {escape(reply.text)}"
    body = "\n".join(escape(line) for line in reply.lines)
    if reply.link:  # ours (the panel's): left unescaped so that it stays a working link
        text = f"{text}\n<{reply.link}>"
    content = truncate(f"{text}\n{body}" if body else text, LIMITS.content)
    embeds: list[dict[str, Any]] = []
    rows: list[list[tuple[str, str, str]]] = []
    if body and len(f"{text}\n{body}") > LIMITS.content:  # long lists go into an embed
        content = truncate(text, LIMITS.content)
        embeds.append({"description": truncate(body, LIMITS.description)})
    for number, paper in enumerate(reply.papers[: LIMITS.embeds - len(embeds)], start=1):
        embeds.append(
            _embed(number, paper, tldr="" if reply.share_key else short_tldr(paper, 300), why=None)
        )
        if reply.choices and len(rows) < LIMITS.rows:
            rows.append(
                [(f"Summarize {number}", f"paperboy:summary:{short_key(paper.key)}", "primary")]
            )
    if reply.share_key:
        rows.append(
            [("Share to channel", f"paperboy:share:{short_key(reply.share_key)}", "secondary")]
        )
    if reply.confirm_command:
        rows.append(
            [
                (
                    "Yes, do it",
                    "paperboy:confirm:" + reply.confirm_command.replace(" ", "+"),
                    "danger",
                )
            ]
        )
    if reply.digest is not None:
        for message in render_digest(reply.digest):
            embeds.extend(message.embeds)
    return DiscordMessage(
        content=content, embeds=_fit(embeds[: LIMITS.embeds]), rows=rows[: LIMITS.rows]
    )
