"""Small pure helpers shared by the parsers: decoding, whitespace, HTML and dates."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime

from digest.errors import SourceError

__all__ = [
    "MAX_PAYLOAD_BYTES",
    "clean_text",
    "decode",
    "parse_date",
    "parse_datetime",
    "strip_html",
]

# A day of any source is a few MB at most; far larger input is a mistake or an attack.
MAX_PAYLOAD_BYTES = 64 * 1024 * 1024

_SPACE = re.compile(r"\s+")
_BLOCK_TAG = re.compile(
    r"</?(?:p|br|div|li|ul|ol|h[1-6]|tr|td|th|table|blockquote|pre|hr)\b[^>]{0,2000}>", re.I
)
_TAG = re.compile(r"<[^>]{0,2000}>")


def decode(data: bytes, source: str) -> str:
    """Bytes to text: UTF-8 (with or without BOM); anything else is not a listing."""
    if len(data) > MAX_PAYLOAD_BYTES:
        raise SourceError(source, f"payload of {len(data)} bytes exceeds {MAX_PAYLOAD_BYTES}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(source, f"payload is not UTF-8 text (byte {exc.start})") from None
    if "\x00" in text:
        raise SourceError(source, "payload contains NUL bytes: not a text listing")
    return text


def clean_text(text: str | None) -> str:
    """Collapse runs of whitespace (multi-line titles and abstracts) into single spaces."""
    if not text:
        return ""
    return _SPACE.sub(" ", text).strip()


def strip_html(text: str | None) -> str:
    """Plain text from a feed's HTML description: tags dropped, entities decoded."""
    if not text:
        return ""
    # Block tags separate words; inline tags (<em>, <a>, <sub>) sit inside them.
    return clean_text(html.unescape(_TAG.sub("", _BLOCK_TAG.sub(" ", text))))


def parse_datetime(value: object) -> datetime | None:
    """An ISO 8601 timestamp (``Z`` or offset) to an aware datetime; None when absent or bad."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_date(value: object) -> date | None:
    """A date from an ISO date or timestamp; None when absent or unreadable."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    stamp = parse_datetime(value)
    if stamp is not None:
        return stamp.date()
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None
