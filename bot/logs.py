"""Logging: JSON lines for machines, readable lines for people; secrets never printed."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["configure_logging", "redact"]

_STANDARD = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}
# Slack tokens (xoxb-, xapp-, ...), bearer tokens and Discord bot tokens look like these.
_SECRET = re.compile(
    r"(xox[abposr]-[\w-]+|xapp-[\w-]+|Bearer\s+[\w.~+/-]+=*|[MN][\w-]{23,25}\.[\w-]{6}\.[\w-]{27,38})"
)


def redact(text: str) -> str:
    return _SECRET.sub("[redacted]", text)


def _extras(record: logging.LogRecord) -> dict[str, object]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **_extras(record),
        }
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return redact(json.dumps(payload, default=str, ensure_ascii=False))


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        extras = " ".join(f"{k}={v}" for k, v in _extras(record).items())
        line = f"{record.levelname.lower():7} {record.name}: {record.getMessage()}"
        if extras:
            line = f"{line} [{extras}]"
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        return redact(line)


class _RoutineAsDebug(logging.Filter):
    """APScheduler reports every job run at info: every 2 s here, 80% of a day's log. Those
    are routine ticks, so they are shown as debug (and only when debug is asked for)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("apscheduler") and record.levelno == logging.INFO:
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger().isEnabledFor(logging.DEBUG)
        return True


def configure_logging(
    level: str = "INFO",
    fmt: str = "auto",
    *,
    file: Path | None = None,
    to_stderr: bool = True,
) -> None:
    """Log at ``level`` to stderr (unless ``to_stderr`` is false) and to ``file`` if given.

    The console REPL logs only to a file: log lines printed between its prompt and its
    replies would make both unreadable."""
    handlers: list[logging.Handler] = []
    if to_stderr:
        stream = logging.StreamHandler(sys.stderr)
        use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
        stream.setFormatter(JsonFormatter() if use_json else TextFormatter())
        handlers.append(stream)
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        on_disk = logging.FileHandler(file, encoding="utf-8")
        on_disk.setFormatter(TextFormatter() if fmt == "text" else JsonFormatter())
        handlers.append(on_disk)
    if not handlers:
        handlers.append(logging.NullHandler())
    for handler in handlers:
        handler.addFilter(_RoutineAsDebug())
    root = logging.getLogger()
    for old in root.handlers:
        if old not in handlers:
            old.close()
    root.handlers[:] = handlers
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
