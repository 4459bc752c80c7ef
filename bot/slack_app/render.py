"""Block Kit rendering (pure): digests and replies as Slack messages within Slack's limits.

Every piece of paper text is untrusted: ``&``, ``<`` and ``>`` are escaped so ``<!channel>``
or ``<@U123>`` in a title prints literally and pings nobody, and mrkdwn's formatting
characters are defused so a title cannot restyle the message.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from digest.compose import Digest, Reply, quiet_day_text, short_tldr, shorten_authors, truncate
from digest.models import DigestItem

__all__ = [
    "LIMITS",
    "SlackMessage",
    "escape",
    "plain",
    "render_alert",
    "render_digest",
    "render_reply",
    "vote_line",
]

Block = dict[str, Any]


@dataclass(frozen=True, kw_only=True, slots=True)
class _Limits:
    blocks: int = 50
    section_text: int = 3000
    header_text: int = 150
    context_text: int = 2000
    button_value: int = 2000
    button_text: int = 75
    block_id: int = 255
    # Slack rejects messages far below its documented 40k; ~13k of combined text is the real
    # ceiling, so the blocks' text stays well below it with the fallback text added.
    message_text: int = 9_000
    fallback_text: int = 3000


LIMITS = _Limits()
# A formatting character only opens or closes formatting at a word boundary ("not_in_channel"
# stays as it is; "*bold*" and "_it_" are defused).
_FORMATTING = re.compile(r"(?<![A-Za-z0-9])([*_~`])|([*_~`])(?![A-Za-z0-9])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
ACTION_MORE = "paperboy_more"
ACTION_LESS = "paperboy_less"
ACTION_SUMMARY = "paperboy_summary"
ACTION_CONFIRM = "paperboy_confirm"
ACTION_CANCEL = "paperboy_cancel"
ACTION_SHARE = "paperboy_share"


@dataclass(frozen=True, kw_only=True, slots=True)
class SlackMessage:
    text: str  # the plain-text fallback (notifications, screen readers)
    blocks: list[Block]
    papers: tuple[str, ...] = ()  # keys of the papers this message carries


@functools.lru_cache(maxsize=8192)
def escape(text: str) -> str:
    """Untrusted text for mrkdwn: entities escaped, formatting characters defused."""
    text = _CONTROL.sub("", text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # A zero-width space after *, _, ~, ` stops them opening or closing formatting.
    return _FORMATTING.sub(lambda m: (m.group(1) or m.group(2)) + "\u200b", text)


def plain(text: str) -> str:
    """Untrusted text for ``plain_text`` objects: Slack does not parse those at all."""
    return _CONTROL.sub("", text)


def _link(url: str | None, label: str) -> str:
    """A mrkdwn link, only for http(s) URLs; the URL's own ``|<>`` are percent-encoded."""
    if not url or not url.lower().startswith(("https://", "http://")):
        return label
    safe = quote(url, safe=":/?#[]@!$&'()*+,;=%-._~")
    return f"<{safe}|{label}>"


def vote_line(up: int, down: int) -> str:
    return f"👍 {up} · 👎 {down}"


def _paper_blocks(number: int, item: DigestItem, *, buttons: bool) -> list[Block]:
    paper = item.paper
    title = _link(paper.link, f"*{escape(paper.title)}*")
    meta = escape(shorten_authors(paper))
    if paper.upvotes:
        meta = f"{meta} · ▲ {paper.upvotes} on HF" if meta else f"▲ {paper.upvotes} on HF"
    tldr = item.tldr or short_tldr(paper, 400)
    body = f"{number}. {title}\n{meta}\n{escape(tldr)}\n_Why: {escape(item.why)}_"
    links = [
        _link(url, label)
        for label, url in (
            ("arXiv", paper.abs_url),
            ("PDF", paper.pdf_url),
            ("HF", paper.hf_url),
            ("code", paper.code_url),
            ("project", paper.project_url),
        )
        if url
    ]
    key = paper.key[: LIMITS.button_value]
    blocks: list[Block] = [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": truncate(body, LIMITS.section_text)},
        },
        {
            "type": "context",
            "block_id": f"votes:{key}"[: LIMITS.block_id],
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": truncate(" · ".join(links) or "no links", LIMITS.context_text),
                }
            ],
        },
    ]
    if buttons:
        blocks.append(
            {
                "type": "actions",
                "block_id": f"paper:{key}"[: LIMITS.block_id],
                "elements": [
                    _button("👍 More like this", ACTION_MORE, key),
                    _button("👎 Less like this", ACTION_LESS, key),
                    _button("Summarize", ACTION_SUMMARY, key),
                ],
            }
        )
    return blocks


def _button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": truncate(text, LIMITS.button_text), "emoji": True},
        "action_id": action_id,
        "value": value[: LIMITS.button_value],
    }
    if style:
        button["style"] = style
    return button


def _text_size(blocks: list[Block]) -> int:
    """The combined length of the blocks' texts (what Slack's ceiling counts)."""
    total = 0
    for block in blocks:
        for part in (block.get("text"), *block.get("elements", ()), *block.get("fields", ())):
            if isinstance(part, dict):
                inner = part.get("text", "")
                total += len(inner if isinstance(inner, str) else inner.get("text", ""))
    return total


def render_digest(digest: Digest, *, buttons: bool = True) -> list[SlackMessage]:
    """The digest as one or more messages: the first posts in the channel, the rest continue
    in its thread. Each stays within 50 blocks and the combined-text budget."""
    channel = f" for #{digest.channel.name}" if digest.channel.name else ""
    header: Block = {
        "type": "header",
        "text": {
            "type": "plain_text",
            "text": truncate(plain(f"{digest.title}{channel}"), LIMITS.header_text),
        },
    }
    footer: Block = {
        "type": "context",
        "elements": [
            {"type": "mrkdwn", "text": truncate(escape(digest.footer), LIMITS.context_text)}
        ],
    }
    if digest.is_empty:
        quiet = quiet_day_text(digest.scanned, digest.day, digest.note)
        blocks = [
            header,
            {"type": "section", "text": {"type": "mrkdwn", "text": escape(quiet)}},
            footer,
        ]
        return [SlackMessage(text=quiet, blocks=blocks)]
    if digest.channel.layout == "single":
        return _single_messages(digest, header, footer, buttons=buttons)
    messages: list[SlackMessage] = []
    current: list[Block] = [header]
    size = _text_size(current)
    shown: list[DigestItem] = []
    for number, item in enumerate(digest.items, start=1):
        blocks = _paper_blocks(number, item, buttons=buttons)
        added = _text_size(blocks)
        full = len(current) + len(blocks) + 1 > LIMITS.blocks
        too_long = size + added > LIMITS.message_text
        if (full or too_long) and len(current) > 1:
            messages.append(_message(current, shown, digest))
            current, shown, size = [], [], 0
        size += added
        current.extend(blocks)
        shown.append(item)
    current.append(footer)
    messages.append(_message(current, shown, digest))
    return messages


def _single_messages(
    digest: Digest, header: Block, footer: Block, *, buttons: bool
) -> list[SlackMessage]:
    """A header message, then one message per paper (in its thread): a reaction on a paper's
    message is a vote on that paper."""
    count = len(digest.items)
    intro = (
        f"{count} paper{'s' if count != 1 else ''} in the thread, one message each: "
        "react with :+1: or :-1: to get more or fewer like it."
    )
    first = SlackMessage(
        text=escape(
            truncate(f"{digest.title}: {count} papers in the thread", LIMITS.fallback_text)
        ),
        blocks=[header, {"type": "section", "text": {"type": "mrkdwn", "text": intro}}, footer],
    )
    return [first] + [
        _message(_paper_blocks(number, item, buttons=buttons), [item], digest)
        for number, item in enumerate(digest.items, start=1)
    ]


def _message(blocks: list[Block], items: list[DigestItem], digest: Digest) -> SlackMessage:
    text = f"{digest.title}: " + "; ".join(i.paper.title for i in items)
    return SlackMessage(
        text=escape(truncate(text, LIMITS.fallback_text)),
        blocks=blocks,
        papers=tuple(i.paper.key for i in items),
    )


def render_alert(digest: Digest) -> SlackMessage:
    """An instant alert: one paper, why it came at once, and its vote buttons. No mention
    of anyone: paper text is escaped like a digest's."""
    item = digest.items[0]
    why = {"type": "mrkdwn", "text": f":bell: New paper {escape(truncate(item.why, 300))}"}
    return SlackMessage(
        text=escape(truncate(f"New paper: {item.paper.title}", LIMITS.fallback_text)),
        blocks=[{"type": "context", "elements": [why]}, *_paper_blocks(1, item, buttons=True)],
        papers=(item.paper.key,),
    )


def render_reply(reply: Reply) -> dict[str, Any]:
    """Keyword arguments for ``respond``/``chat.postEphemeral``: text, blocks, response_type."""
    blocks: list[Block] = []
    heading = f":warning: {escape(reply.text)}" if reply.error else f"*{escape(reply.text)}*"
    blocks.append(
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": truncate(heading, LIMITS.section_text)},
        }
    )
    if reply.lines:
        text = "\n".join(escape(line) for line in reply.lines)
        for start in range(0, len(text), LIMITS.section_text):
            blocks.append(
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": text[start : start + LIMITS.section_text]},
                }
            )
    for number, paper in enumerate(reply.papers, start=1):
        item = DigestItem(paper=paper, score=0.0, why="search result")
        if reply.share_key:  # a summary: the paper's links, its text is in the lines above
            links = _paper_blocks(number, item, buttons=False)[1]
            blocks.append({"type": "context", "elements": links["elements"]})
            continue
        blocks.extend(_paper_blocks(number, item, buttons=False)[:2])
        if reply.choices:
            key = paper.key[: LIMITS.button_value]
            blocks.append(
                {
                    "type": "actions",
                    "elements": [_button("Summarize this one", ACTION_SUMMARY, key)],
                }
            )
    if reply.share_key:
        blocks.append(
            {
                "type": "actions",
                "elements": [_button("Share to channel", ACTION_SHARE, reply.share_key)],
            }
        )
    if reply.confirm_command:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    _button("Yes, do it", ACTION_CONFIRM, reply.confirm_command, style="danger"),
                    _button("Cancel", ACTION_CANCEL, "cancel"),
                ],
            }
        )
    if reply.link:  # ours (the panel's): a link, its URL escaped as Slack wants
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": f"<{escape(reply.link)}>"}}
        )
    if reply.digest is not None:
        for message in render_digest(reply.digest, buttons=False):
            blocks.extend(message.blocks)
    blocks = blocks[: LIMITS.blocks]
    return {
        "text": truncate(escape(reply.text), LIMITS.fallback_text),
        "blocks": blocks,
        "response_type": "ephemeral" if reply.ephemeral else "in_channel",
    }
