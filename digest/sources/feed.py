"""Any RSS/Atom feed URL, and local files in any format ``paperboy parse`` reads."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

from digest.errors import SourceError
from digest.parsers import parse
from digest.parsers.feed import parse_feed
from digest.ports import FetchResult
from digest.sources.http import HttpFetcher

__all__ = ["FeedSource", "FileSource"]


class FeedSource:
    def __init__(self, fetcher: HttpFetcher, url: str, *, name: str | None = None) -> None:
        self._fetcher = fetcher
        self._url = url
        # A stable short name per URL, so health and logs tell feeds apart.
        self.name = name or f"feed:{hashlib.sha1(url.encode()).hexdigest()[:8]}"  # noqa: S324

    async def fetch(self, day: date) -> FetchResult:
        response = await self._fetcher.get(self.name, self._url)
        if response.not_modified:
            return FetchResult(source=self.name, status="not_modified")
        papers = parse_feed(response.content, source=self.name)
        return FetchResult(source=self.name, papers=tuple(papers))


class FileSource:
    """A local listing file (HF page text, feed, JSON, JSONL): the offline and import path."""

    def __init__(self, path: Path, *, format: str = "auto", name: str | None = None) -> None:
        self._path = path
        self._format = format
        self.name = name or f"file:{path.name}"

    async def fetch(self, day: date) -> FetchResult:
        try:
            data = self._path.read_bytes()
        except OSError as exc:
            raise SourceError(self.name, f"cannot read {self._path}: {exc.strerror}") from None
        papers = parse(data, self._format, today=day)
        return FetchResult(source=self.name, papers=tuple(papers))
