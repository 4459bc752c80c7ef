"""The polite fetcher and the sources, over httpx.MockTransport (no network)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import httpx
import pytest

from digest.errors import SourceError
from digest.sources.arxiv import ArxivApi, ArxivApiSource, ArxivFeedSource
from digest.sources.calendar import expects_announcement
from digest.sources.feed import FeedSource, FileSource
from digest.sources.hf import HfDailySource, HfSearch
from digest.sources.http import USER_AGENT, FetchPolicy, HttpFetcher, MemoryValidators

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """Serves scripted responses and records every request."""

    def __init__(self, *responses: httpx.Response | Exception) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


def make_fetcher(handler: Handler, clock: FakeTime, **policy: object) -> HttpFetcher:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return HttpFetcher(
        client,
        policy=FetchPolicy(**policy),  # type: ignore[arg-type]
        sleep=clock.sleep,
        monotonic=clock.monotonic,
        jitter=lambda: 1.0,
    )


async def test_retries_5xx_with_backoff_then_succeeds() -> None:
    clock = FakeTime()
    recorder = Recorder(httpx.Response(503), httpx.Response(502), httpx.Response(200, text="ok"))
    fetcher = make_fetcher(recorder, clock, backoff_base=1.0)
    response = await fetcher.get("hf-daily", "https://huggingface.co/api/daily_papers")
    assert response.content == b"ok"
    assert len(recorder.requests) == 3
    assert clock.sleeps == [1.0, 2.0]
    assert recorder.requests[0].headers["User-Agent"] == USER_AGENT


async def test_429_honours_retry_after() -> None:
    clock = FakeTime()
    recorder = Recorder(httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200))
    fetcher = make_fetcher(recorder, clock)
    await fetcher.get("hf-daily", "https://huggingface.co/x")
    assert clock.sleeps == [7.0]


async def test_too_long_retry_after_fails_the_source() -> None:
    clock = FakeTime()
    fetcher = make_fetcher(Recorder(httpx.Response(429, headers={"Retry-After": "3600"})), clock)
    with pytest.raises(SourceError, match="Retry-After 3600s is too long"):
        await fetcher.get("hf-daily", "https://huggingface.co/x")


async def test_4xx_is_not_retried() -> None:
    clock = FakeTime()
    recorder = Recorder(httpx.Response(404))
    fetcher = make_fetcher(recorder, clock)
    with pytest.raises(SourceError, match="hf-daily: HTTP 404"):
        await fetcher.get("hf-daily", "https://huggingface.co/x")
    assert len(recorder.requests) == 1


async def test_transport_errors_exhaust_attempts() -> None:
    clock = FakeTime()
    recorder = Recorder(httpx.ConnectError("no route"))
    fetcher = make_fetcher(recorder, clock, attempts=3)
    with pytest.raises(SourceError, match=r"ConnectError: no route \(after 3 attempts\)"):
        await fetcher.get("arxiv-rss", "https://rss.arxiv.org/atom/cs.LG")
    assert len(recorder.requests) == 3


async def test_conditional_get_sends_validators_and_reports_not_modified() -> None:
    clock = FakeTime()
    recorder = Recorder(
        httpx.Response(200, text="v1", headers={"ETag": '"abc"', "Last-Modified": "Mon, 06 Jan"}),
        httpx.Response(304),
    )
    validators = MemoryValidators()
    client = httpx.AsyncClient(transport=httpx.MockTransport(recorder))
    fetcher = HttpFetcher(client, validators=validators, sleep=clock.sleep)
    first = await fetcher.get("feed", "https://lab.example.org/feed")
    second = await fetcher.get("feed", "https://lab.example.org/feed")
    assert (first.not_modified, second.not_modified) == (False, True)
    assert "If-None-Match" not in recorder.requests[0].headers
    assert recorder.requests[1].headers["If-None-Match"] == '"abc"'
    assert recorder.requests[1].headers["If-Modified-Since"] == "Mon, 06 Jan"


async def test_arxiv_api_is_paced_three_seconds_apart() -> None:
    clock = FakeTime()
    recorder = Recorder(
        httpx.Response(200, content=(FIXTURES / "arxiv_api_small.xml").read_bytes())
    )
    api = ArxivApi(make_fetcher(recorder, clock))
    await api.by_ids(["hep-th/9901001"])
    await api.by_ids(["hep-th/9901001"])
    assert clock.sleeps == [3.0]
    assert recorder.requests[0].url.params["id_list"] == "hep-th/9901001"


def _hf_page(count: int, start: int = 0) -> bytes:
    return json.dumps(
        [
            {
                "paper": {
                    "id": f"2401.{start + i:05d}",
                    "title": f"P{start + i}",
                    "summary": "S.",
                    "upvotes": i,
                }
            }
            for i in range(count)
        ]
    ).encode()


async def test_hf_daily_pages_until_a_short_page() -> None:
    clock = FakeTime()
    recorder = Recorder(
        httpx.Response(200, content=_hf_page(2)), httpx.Response(200, content=_hf_page(1, start=2))
    )
    source = HfDailySource(make_fetcher(recorder, clock), page_size=2, base_url="http://hf.test")
    result = await source.fetch(date(2026, 6, 12))
    assert [p.id for p in result.papers] == ["2401.00000", "2401.00001", "2401.00002"]
    assert [r.url.params["p"] for r in recorder.requests] == ["0", "1"]
    assert recorder.requests[0].url.params["date"] == "2026-06-12"


async def test_hf_daily_empty_day_is_quiet() -> None:
    source = HfDailySource(make_fetcher(Recorder(httpx.Response(200, json=[])), FakeTime()))
    result = await source.fetch(date(2026, 6, 13))
    assert result.status == "quiet" and result.papers == ()


async def test_hf_daily_malformed_payload_names_the_source() -> None:
    source = HfDailySource(make_fetcher(Recorder(httpx.Response(200, text="<html>")), FakeTime()))
    with pytest.raises(SourceError) as info:
        await source.fetch(date(2026, 6, 12))
    assert info.value.source == "hf-daily"


async def test_hf_search_sends_query() -> None:
    recorder = Recorder(httpx.Response(200, content=_hf_page(3)))
    search = HfSearch(make_fetcher(recorder, FakeTime()), base_url="http://hf.test")
    found = await search.search("diffusion policy", limit=2)
    assert len(found) == 2
    assert recorder.requests[0].url.path == "/api/papers/search"
    assert recorder.requests[0].url.params["q"] == "diffusion policy"


async def test_arxiv_feed_separates_replacements() -> None:
    recorder = Recorder(httpx.Response(200, content=(FIXTURES / "arxiv_rss2.xml").read_bytes()))
    source = ArxivFeedSource(make_fetcher(recorder, FakeTime()), categories=["cs.LG", "stat.ML"])
    result = await source.fetch(date(2025, 1, 6))
    assert [p.id for p in result.papers] == ["2501.00001"]
    assert [p.id for p in result.updates] == ["2412.09999"]
    assert recorder.requests[0].url.path == "/atom/cs.LG+stat.ML"


EMPTY_FEED = b'<feed xmlns="http://www.w3.org/2005/Atom"><title>cs.LG</title></feed>'


@pytest.mark.parametrize(
    ("day", "note"),
    [(date(2026, 6, 13), "Saturdays"), (date(2026, 6, 10), "holiday")],
)
async def test_arxiv_empty_feed_is_quiet_with_a_reason(day: date, note: str) -> None:
    source = ArxivFeedSource(
        make_fetcher(Recorder(httpx.Response(200, content=EMPTY_FEED)), FakeTime())
    )
    result = await source.fetch(day)
    assert result.status == "quiet"
    assert result.note is not None and note in result.note


def test_announcement_calendar() -> None:
    assert [expects_announcement(date(2026, 6, d)) for d in range(8, 15)] == [
        True,
        True,
        True,
        True,
        True,
        False,
        False,
    ]


async def test_arxiv_api_source_pages_back_two_days() -> None:
    recorder = Recorder(
        httpx.Response(200, content=(FIXTURES / "arxiv_api_small.xml").read_bytes())
    )
    source = ArxivApiSource(
        ArxivApi(make_fetcher(recorder, FakeTime())),
        categories=["hep-th"],
        page_size=1,
        max_pages=3,
    )
    result = await source.fetch(date(1999, 1, 4))
    assert len(recorder.requests) == 3  # every page full and recent: up to max_pages
    assert recorder.requests[0].url.params["search_query"] == "cat:hep-th"
    assert len(result.papers) == 3
    later = await source.fetch(date(1999, 1, 20))
    assert len(later.papers) == 1  # the first page is already older than two days


async def test_generic_feed_source_and_file_source(tmp_path: Path) -> None:
    recorder = Recorder(httpx.Response(200, content=(FIXTURES / "blog_feed.xml").read_bytes()))
    feed = FeedSource(make_fetcher(recorder, FakeTime()), "https://lab.example.org/feed")
    assert feed.name.startswith("feed:")
    assert len((await feed.fetch(date(2025, 2, 4))).papers) == 2
    files = FileSource(FIXTURES / "papers.jsonl")
    assert len((await files.fetch(date(2025, 2, 4))).papers) == 3
    with pytest.raises(SourceError, match="cannot read"):
        await FileSource(tmp_path / "missing.txt").fetch(date(2025, 2, 4))
