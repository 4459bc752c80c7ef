"""Hugging Face Daily Papers API and paper search."""

from __future__ import annotations

from datetime import date

from digest.models import Paper
from digest.parsers.hf_daily import parse_hf_daily
from digest.ports import FetchResult
from digest.sources.http import HttpFetcher

__all__ = ["HfDailySource", "HfSearch"]

HF_BASE_URL = "https://huggingface.co"


class HfDailySource:
    """``GET /api/daily_papers?date=YYYY-MM-DD`` with paging (``limit``, ``p``)."""

    name = "hf-daily"

    def __init__(
        self,
        fetcher: HttpFetcher,
        *,
        base_url: str = HF_BASE_URL,
        page_size: int = 100,
        max_pages: int = 5,
    ) -> None:
        self._fetcher = fetcher
        self._url = f"{base_url.rstrip('/')}/api/daily_papers"
        self._page_size = page_size
        self._max_pages = max_pages

    async def fetch(self, day: date) -> FetchResult:
        papers: list[Paper] = []
        for page in range(self._max_pages):
            params: dict[str, str | int] = {
                "date": day.isoformat(),
                "limit": self._page_size,
                "p": page,
            }
            response = await self._fetcher.get(self.name, self._url, params=params)
            if response.not_modified:
                if page == 0:
                    return FetchResult(source=self.name, status="not_modified")
                break
            batch = parse_hf_daily(response.content, source=self.name)
            papers.extend(batch)
            if len(batch) < self._page_size:
                break
        if not papers:
            return FetchResult(source=self.name, status="quiet", note=f"no papers listed for {day}")
        return FetchResult(source=self.name, papers=tuple(papers))


class HfSearch:
    """``GET /api/papers/search?q=...``: HF's semantic search over its papers."""

    name = "hf-search"

    def __init__(self, fetcher: HttpFetcher, *, base_url: str = HF_BASE_URL) -> None:
        self._fetcher = fetcher
        self._url = f"{base_url.rstrip('/')}/api/papers/search"

    async def search(self, query: str, *, limit: int = 10) -> list[Paper]:
        response = await self._fetcher.get(
            self.name, self._url, params={"q": query[:500]}, conditional=False
        )
        return parse_hf_daily(response.content, source=self.name)[:limit]
