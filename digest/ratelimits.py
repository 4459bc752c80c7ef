"""What a publisher waited out while sending one run (429s), for the delivery log.

The outbox opens a tally around each send; a publisher's retry logic, deep inside a
platform's client, adds to it with ``note_rate_limited`` without being handed anything (the
tally follows the sending task as a context variable)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

__all__ = ["note_rate_limited", "tally_rate_limits"]

_TALLY: ContextVar[list[tuple[float, str]] | None] = ContextVar("rate_limit_tally", default=None)


def note_rate_limited(seconds: float, detail: str) -> None:
    """A 429 answered, and ``seconds`` waited before trying again (ignored outside a send)."""
    tally = _TALLY.get()
    if tally is not None:
        tally.append((seconds, detail))


@contextlib.contextmanager
def tally_rate_limits() -> Iterator[list[tuple[float, str]]]:
    tally: list[tuple[float, str]] = []
    token = _TALLY.set(tally)
    try:
        yield tally
    finally:
        _TALLY.reset(token)
