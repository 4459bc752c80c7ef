"""Sans-I/O parsers: bytes in, papers out. ``parse`` picks the format by content."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

from digest.errors import SourceError
from digest.models import Paper
from digest.parsers.arxiv import parse_arxiv_api, parse_arxiv_feed
from digest.parsers.common import decode_text
from digest.parsers.feed import parse_feed
from digest.parsers.hf_daily import parse_hf_daily
from digest.parsers.hf_listing import looks_like_hf_listing, parse_hf_listing
from digest.parsers.jsonl import parse_jsonl

__all__ = ["FORMATS", "detect_format", "parse"]

FORMATS = ("hf-daily", "hf-listing", "arxiv-atom", "arxiv-rss", "rss", "jsonl")


def _json_format(text: str) -> str | None:
    try:
        payload = json.loads(text)
    except json.JSONDecodeError:
        first_line = text.lstrip().split("\n", 1)[0]
        try:
            payload = json.loads(first_line)
        except json.JSONDecodeError:
            return None
        return "jsonl" if isinstance(payload, dict) and "title" in payload else None
    items = payload if isinstance(payload, list) else [payload]
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    if all("paper" in i for i in items):
        return "hf-daily"
    if all("title" in i for i in items):
        return "jsonl"
    return None


def detect_format(data: bytes) -> str:
    """Name the format of a payload from its content; SourceError when it is none we read."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"{", b"[")):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise SourceError("auto", "payload is not UTF-8 text") from None
        found = _json_format(text)
        if found:
            return found
        if looks_like_hf_listing(text):  # a page whose first title starts with "[" or "{"
            return "hf-listing"
        raise SourceError("auto", "JSON that is neither HF Daily Papers nor JSON Lines papers")
    if head.startswith(b"<"):
        sample = data[:20000]
        if b"http://arxiv.org/schemas/atom" in sample:
            if b"announce_type" in sample or b"rss.arxiv.org" in sample or b"<rss" in sample:
                return "arxiv-rss"
            return "arxiv-atom"
        return "rss"
    try:
        # Page text may be UTF-8, UTF-16 or cp1252; a cut at the sample's end is fine.
        text = decode_text(data[:200000], "auto")
    except SourceError:
        raise SourceError("auto", "binary data: not a listing") from None
    if looks_like_hf_listing(text):
        return "hf-listing"
    raise SourceError("auto", "unrecognised format: not a feed, JSON listing or Daily Papers page")


def parse(data: bytes, format: str = "auto", *, today: date | None = None) -> list[Paper]:
    """Parse a payload in a named format (or ``auto``). ``today`` dates year-less listing dates."""
    name = detect_format(data) if format == "auto" else format
    parsers: dict[str, Callable[[bytes], list[Paper]]] = {
        "hf-daily": parse_hf_daily,
        "hf-listing": lambda d: parse_hf_listing(d, page_year=today.year if today else None),
        "arxiv-atom": parse_arxiv_api,
        "arxiv-rss": parse_arxiv_feed,
        "rss": parse_feed,
        "jsonl": parse_jsonl,
    }
    if name not in parsers:
        raise SourceError(name, f"unknown format; choose one of: auto, {', '.join(FORMATS)}")
    return parsers[name](data)
