"""Pacing messages to a platform's per-channel rate limit before the platform has to say no."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable

__all__ = ["ChannelPacer"]


class ChannelPacer:
    """Spaces the messages to each channel at least ``interval`` seconds apart.

    Slack allows about one message per second per channel. Waiting here costs a channel
    nothing but its own time, while a 429 costs a round trip and a Retry-After of a whole
    second or more; and since only the channel waits, a thousand channels still go out in
    parallel.
    """

    def __init__(
        self,
        interval: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._interval = interval
        self._clock = clock
        self._sleep = sleep
        self._next: dict[str, float] = {}  # channel -> the earliest moment of its next message

    @contextlib.asynccontextmanager
    async def turn(self, channel: str) -> AsyncIterator[None]:
        """Waits for the channel's next slot; the next one starts ``interval`` after this
        message is answered (the platform counted it at the latest then), so a busy event
        loop or a slow network can delay a message but never squeeze two together."""
        now = self._clock()
        at = self._next.get(channel, now)
        if at > now:
            await self._sleep(at - now)
        try:
            yield
        finally:
            done = self._clock()
            self._next[channel] = done + self._interval
            if len(self._next) > 10_000:  # forget channels that have been quiet for a while
                self._next = {k: v for k, v in self._next.items() if v > done}
