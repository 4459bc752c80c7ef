"""arXiv: the query API (export.arxiv.org) and the announcement feeds (rss.arxiv.org)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from digest.models import Paper
from digest.parsers.arxiv import parse_arxiv_api, parse_arxiv_feed
from digest.ports import FetchResult
from digest.sources.calendar import expects_announcement
from digest.sources.http import HttpFetcher

__all__ = ["ArxivApi", "ArxivApiSource", "ArxivFeedSource"]

ARXIV_API_URL = "https://export.arxiv.org/api/query"
ARXIV_FEED_URL = "https://rss.arxiv.org"
DEFAULT_CATEGORIES = ("cs.LG", "cs.AI", "cs.CL", "cs.CV", "cs.RO", "stat.ML")


class ArxivApi:
    """The query API. The fetcher paces export.arxiv.org to one request every 3 seconds."""

    name = "arxiv-api"

    def __init__(self, fetcher: HttpFetcher, *, url: str = ARXIV_API_URL) -> None:
        self._fetcher = fetcher
        self._url = url

    async def query(
        self,
        *,
        search_query: str | None = None,
        id_list: Sequence[str] = (),
        start: int = 0,
        max_results: int = 100,
        sort_by: str = "submittedDate",
    ) -> list[Paper]:
        params: dict[str, str | int] = {
            "start": start,
            "max_results": max_results,
            "sortBy": sort_by,
            "sortOrder": "descending",
        }
        if search_query:
            params["search_query"] = search_query
        if id_list:
            params["id_list"] = ",".join(id_list)
        response = await self._fetcher.get(self.name, self._url, params=params, conditional=False)
        return parse_arxiv_api(response.content, source=self.name)

    async def by_ids(self, ids: Sequence[str]) -> list[Paper]:
        return await self.query(id_list=ids, max_results=len(ids), sort_by="relevance")


class ArxivApiSource:
    """The newest submissions in some categories, paged until a page is older than the day."""

    name = "arxiv-api"

    def __init__(
        self,
        api: ArxivApi,
        *,
        categories: Sequence[str] = DEFAULT_CATEGORIES,
        page_size: int = 100,
        max_pages: int = 5,
    ) -> None:
        self._api = api
        self._categories = tuple(categories)
        self._page_size = page_size
        self._max_pages = max_pages

    async def fetch(self, day: date) -> FetchResult:
        query = " OR ".join(f"cat:{c}" for c in self._categories)
        papers: list[Paper] = []
        for page in range(self._max_pages):
            batch = await self._api.query(
                search_query=query, start=page * self._page_size, max_results=self._page_size
            )
            papers.extend(batch)
            oldest = min((p.published for p in batch if p.published), default=None)
            # Submissions of the last two days cover the announcement of ``day``.
            if len(batch) < self._page_size or (oldest and (day - oldest).days >= 2):
                break
        return FetchResult(source=self.name, papers=tuple(papers))


class ArxivFeedSource:
    """``rss.arxiv.org/atom/<cats>``. New and cross-listed papers by default; replacements
    are returned as ``updates`` so stored papers refresh without being posted again."""

    name = "arxiv-rss"

    def __init__(
        self,
        fetcher: HttpFetcher,
        *,
        categories: Sequence[str] = DEFAULT_CATEGORIES,
        announce_types: Sequence[str] = ("new", "cross"),
        base_url: str = ARXIV_FEED_URL,
    ) -> None:
        self._fetcher = fetcher
        self._url = f"{base_url.rstrip('/')}/atom/{'+'.join(categories)}"
        self._announce_types = set(announce_types)

    async def fetch(self, day: date) -> FetchResult:
        response = await self._fetcher.get(self.name, self._url)
        if response.not_modified:
            return FetchResult(source=self.name, status="not_modified")
        papers = parse_arxiv_feed(response.content, source=self.name)
        if not papers:
            if not expects_announcement(day):
                return FetchResult(
                    source=self.name,
                    status="quiet",
                    note="arXiv does not announce on Saturdays and Sundays",
                )
            return FetchResult(
                source=self.name,
                status="quiet",
                note="the feed is empty on an announcement day (an arXiv holiday?)",
            )
        wanted = tuple(p for p in papers if (p.announce_type or "new") in self._announce_types)
        updates = tuple(p for p in papers if p not in wanted)
        return FetchResult(source=self.name, papers=wanted, updates=updates)
