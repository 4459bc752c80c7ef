"""Polite HTTP for the sources: retries with backoff and jitter, Retry-After, per-host pacing,
conditional GET. A thin shell around an ``httpx.AsyncClient`` handed in from outside.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx

from digest.errors import SourceError
from digest.ports import ValidatorStore

__all__ = [
    "USER_AGENT",
    "FetchPolicy",
    "HttpFetcher",
    "HttpResponse",
    "MemoryValidators",
]

USER_AGENT = "paperboy/0.1 (research-paper digest bot; +https://github.com/paperboy-bot/paperboy)"
log = logging.getLogger(__name__)


class MemoryValidators:
    def __init__(self) -> None:
        self._store: dict[str, tuple[str | None, str | None]] = {}

    def get_validators(self, url: str) -> tuple[str | None, str | None]:
        return self._store.get(url, (None, None))

    def put_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        self._store[url] = (etag, last_modified)


@dataclass(frozen=True, kw_only=True, slots=True)
class FetchPolicy:
    attempts: int = 4
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    # The longest Retry-After we honour; beyond it the source counts as failing for this run.
    retry_after_max: float = 300.0
    # Minimum seconds between requests to one host (arXiv asks for 3 s, one connection).
    host_intervals: Mapping[str, float] = field(
        default_factory=lambda: {"export.arxiv.org": 3.0, "rss.arxiv.org": 1.0}
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class HttpResponse:
    url: str
    status: int
    content: bytes = b""
    not_modified: bool = False


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


class HttpFetcher:
    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        policy: FetchPolicy | None = None,
        validators: ValidatorStore | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._client = client
        self._policy = policy or FetchPolicy()
        self._validators = validators or MemoryValidators()
        self._sleep = sleep
        self._monotonic = monotonic
        self._jitter = jitter
        self._host_locks: dict[str, asyncio.Lock] = {}
        self._host_last: dict[str, float] = {}

    async def get(
        self,
        source: str,
        url: str,
        *,
        params: Mapping[str, str | int] | None = None,
        conditional: bool = True,
        attempts: int | None = None,
    ) -> HttpResponse:
        """GET with retries. Raises SourceError naming ``source`` when it finally fails."""
        request_url = str(httpx.URL(url, params=params))
        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"}
        if conditional:
            etag, last_modified = self._validators.get_validators(request_url)
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
        host = urlsplit(request_url).hostname or ""
        lock = self._host_locks.setdefault(host, asyncio.Lock())
        last_problem = "no attempt made"
        attempts = attempts or self._policy.attempts
        for attempt in range(1, attempts + 1):
            async with lock:  # one request at a time per host, paced
                await self._pace(host)
                try:
                    response = await self._client.get(request_url, headers=headers)
                except httpx.TransportError as exc:
                    response = None
                    last_problem = (
                        f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                    )
            delay = self._backoff(attempt)
            if response is not None:
                if response.status_code == 304:
                    return HttpResponse(url=request_url, status=304, not_modified=True)
                if response.is_success:
                    if conditional:
                        self._validators.put_validators(
                            request_url,
                            response.headers.get("ETag"),
                            response.headers.get("Last-Modified"),
                        )
                    return HttpResponse(
                        url=request_url, status=response.status_code, content=response.content
                    )
                last_problem = f"HTTP {response.status_code} from {host}"
                if response.status_code == 429 or response.status_code >= 500:
                    hinted = retry_after_seconds(
                        response.headers.get("Retry-After"), datetime.now(UTC)
                    )
                    if hinted is not None:
                        if hinted > self._policy.retry_after_max:
                            raise SourceError(
                                source, f"{last_problem}; Retry-After {hinted:.0f}s is too long"
                            )
                        delay = hinted
                else:
                    raise SourceError(source, last_problem)  # 4xx: retrying will not help
            if attempt < attempts:
                log.warning(
                    "fetch failed, retrying",
                    extra={
                        "source": source,
                        "attempt": attempt,
                        "delay": round(delay, 2),
                        "problem": last_problem,
                    },
                )
                await self._sleep(delay)
        raise SourceError(source, f"{last_problem} (after {attempts} attempts)")

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with "equal jitter": half fixed, half random."""
        ceiling = min(self._policy.backoff_max, self._policy.backoff_base * 2 ** (attempt - 1))
        return ceiling * (0.5 + 0.5 * self._jitter())

    async def _pace(self, host: str) -> None:
        interval = self._policy.host_intervals.get(host, 0.0)
        last = self._host_last.get(host)
        if interval and last is not None:
            wait = interval - (self._monotonic() - last)
            if wait > 0:
                await self._sleep(wait)
        self._host_last[host] = self._monotonic()
