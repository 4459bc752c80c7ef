"""Small pure helpers shared by the parsers: decoding, whitespace, HTML and dates."""

from __future__ import annotations

import codecs
import html
import re
from datetime import UTC, date, datetime

from digest.errors import SourceError

__all__ = [
    "MAX_PAYLOAD_BYTES",
    "clean_text",
    "decode",
    "decode_text",
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
# Control characters other than tab, line feed, form feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


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


def decode_text(data: bytes, source: str) -> str:
    """Bytes of a page saved as plain text to text, whatever the saving program chose.

    UTF-8 with or without BOM; UTF-16 with BOM (Windows "Unicode" text); lines that are not
    UTF-8 are read as cp1252 (a superset of latin-1's printable characters), line by line,
    so a file pasted together from two encodings still reads. In text that is UTF-8 up to
    a multi-byte character cut at the very end (a truncated download), that part character
    is dropped. Binary data is refused.
    """
    if len(data) > MAX_PAYLOAD_BYTES:
        raise SourceError(source, f"payload of {len(data)} bytes exceeds {MAX_PAYLOAD_BYTES}")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:  # an odd last byte is half a character cut off
            text = data[: len(data) - len(data) % 2].decode("utf-16")
        except UnicodeDecodeError:
            raise SourceError(source, "payload is not UTF-16 text despite its BOM") from None
    else:
        body = data.removeprefix(codecs.BOM_UTF8)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.reason == "unexpected end of data":  # all UTF-8 but a character cut at the end
                text = body[: exc.start].decode("utf-8")
            else:
                text = "".join(_decode_line(line) for line in body.splitlines(keepends=True))
    if _looks_binary(text):
        raise SourceError(source, "binary data, not text")
    return text


def _decode_line(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return line.decode("cp1252")
    except UnicodeDecodeError:  # the five bytes cp1252 leaves undefined
        return line.decode("latin-1")


def _looks_binary(text: str) -> bool:
    # Text has no NULs and almost no control characters; random or binary bytes decoded
    # as cp1252/latin-1 have about one in ten.
    if "\x00" in text:
        return True
    return len(_CONTROL.findall(text)) > max(4, len(text) // 200)


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
