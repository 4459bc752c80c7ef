"""Resolving references (and refusing SSRF forms), the summarisers, full text, the cache."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from digest.clock import FixedClock
from digest.errors import SourceError, UsageError
from digest.models import Paper
from digest.parsers import parse
from digest.sources.guard import RedirectGuard
from digest.summarise.extractive import ExtractiveSummariser, split_sentences
from digest.summarise.fulltext import parse_arxiv_html
from digest.summarise.reference import parse_reference
from digest.summarise.service import HfSummariser, SummaryService
from storage.memory import MemoryRepository
from tests.conftest import SHARED

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NOW = datetime(2026, 6, 12, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("2401.12345", "arxiv", "2401.12345"),
        ("2401.12345v3", "arxiv", "2401.12345"),
        ("arXiv:2401.12345", "arxiv", "2401.12345"),
        ("hep-th/9901001", "arxiv", "hep-th/9901001"),
        ("https://arxiv.org/abs/2401.12345v2", "arxiv", "2401.12345"),
        ("https://arxiv.org/pdf/2401.12345v1", "arxiv", "2401.12345"),
        ("https://arxiv.org/pdf/2401.12345.pdf", "arxiv", "2401.12345"),
        ("https://arxiv.org/html/2401.12345v2", "arxiv", "2401.12345"),
        ("http://export.arxiv.org/abs/hep-th/9901001", "arxiv", "hep-th/9901001"),
        ("https://huggingface.co/papers/2401.12345", "arxiv", "2401.12345"),
        ("arxiv.org/abs/2401.12345", "arxiv", "2401.12345"),
        ("<https://arxiv.org/abs/2401.12345>", "arxiv", "2401.12345"),
        ("10.1000/XYZ.42", "doi", "10.1000/xyz.42"),
        ("doi:10.1000/xyz", "doi", "10.1000/xyz"),
        ("https://doi.org/10.1000/xyz", "doi", "10.1000/xyz"),
        ("10.48550/arXiv.2401.12345", "arxiv", "2401.12345"),
        ("direct preference optimization", "title", "direct preference optimization"),
    ],
)
def test_every_reference_form(text: str, kind: str, value: str) -> None:
    reference = parse_reference(text)
    assert (reference.kind, reference.value) == (kind, value)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("https://evil.example/abs/2401.12345", "not followed"),
        ("https://arxiv.org.evil.example/abs/2401.12345", "not followed"),
        ("http://127.0.0.1/abs/2401.12345", "IP addresses"),
        ("http://[::1]/abs/2401.12345", "IP addresses"),
        ("http://169.254.169.254/latest/meta-data", "IP addresses"),
        ("http://2130706433/abs/2401.12345", "not followed"),
        ("file:///etc/passwd", "`file:`"),
        ("gopher://arxiv.org/abs/2401.12345", "`gopher:`"),
        ("ftp://arxiv.org/abs/2401.12345", "`ftp:`"),
        ("javascript:alert(1)", "`javascript:`"),
        ("https://arxiv.org@evil.example/abs/2401.12345", "user name"),
        ("https://user:pass@arxiv.org/abs/2401.12345", "user name"),
        ("https://arxiv.org:8443/abs/2401.12345", "unusual port"),
        ("https://arxiv.org:99999/abs/2401.12345", "malformed"),
        ("https://huggingface.co/models", "no paper id"),
        ("", "say which paper"),
        ("x" * 600, "longer than"),
    ],
)
def test_refused_references(text: str, reason: str) -> None:
    with pytest.raises(UsageError, match=re.escape(reason)):
        parse_reference(text)


async def test_redirect_guard_refuses_internal_targets() -> None:
    async def resolver(host: str) -> list[str]:
        known = {"internal.example": ["10.1.2.3"], "public.example": ["93.184.216.34"]}
        if host not in known:
            raise OSError("Name or service not known")
        return known[host]

    guard = RedirectGuard({"127.0.0.1"}, resolver=resolver)
    for target in (
        "http://169.254.169.254/latest",
        "http://10.0.0.5/",
        "http://[::1]/",
        "http://internal.example/x",
        "http://localhost.localdomain.invalid/",
    ):
        with pytest.raises(SourceError, match="redirect"):
            await guard.check(httpx.URL(target))
    with pytest.raises(SourceError, match="file"):
        await guard.check(httpx.URL("file:///etc/passwd"))
    with pytest.raises(SourceError, match="credentials"):
        await guard.check(httpx.URL("http://user:pw@public.example/"))
    await guard.check(httpx.URL("https://public.example/ok"))
    await guard.check(httpx.URL("http://127.0.0.1:8080/trusted-fake"))


async def test_a_redirect_to_a_private_address_is_never_followed() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.host == "arxiv.org":
            return httpx.Response(302, headers={"Location": "http://169.254.169.254/latest"})
        return httpx.Response(200, text="metadata")

    guard = RedirectGuard({"arxiv.org"})
    async with httpx.AsyncClient(
        transport=httpx.MockTransport(handler),
        follow_redirects=True,
        event_hooks={"response": [guard]},
    ) as client:
        with pytest.raises(SourceError, match="internal address"):
            await client.get("https://arxiv.org/html/2401.12345")
    assert seen == ["https://arxiv.org/html/2401.12345"]


def _listing_papers() -> list[Paper]:
    listings = sorted((SHARED / "listings").glob("*.txt"))
    if not listings:
        pytest.skip(f"shared listings absent at {SHARED / 'listings'}")
    return [p for path in listings for p in parse(path.read_bytes())]


def test_extractive_on_the_shared_listings() -> None:
    summariser = ExtractiveSummariser()
    papers = _listing_papers()
    with_results = 0
    for paper in papers:
        summary = summariser.summarise(paper)
        sentences = split_sentences(paper.abstract)
        assert summary.tldr and summary.tldr in sentences  # a whole sentence of the paper
        assert 3 <= len(summary.points) <= 5 or len(sentences) < 4
        for point in summary.points:
            label, _, sentence = point.partition(": ")
            assert label in {"Problem", "Method", "Result", "Limitations", "Also"}
            assert sentence in sentences  # whole, untouched: numbers kept as written
        result = next((p for p in summary.points if p.startswith("Result")), None)
        if result and re.search(r"\d+(\.\d+)?%", paper.abstract):
            with_results += bool(re.search(r"\d", result))
    assert with_results >= 10


def test_extractive_never_empty() -> None:
    summary = ExtractiveSummariser().summarise(Paper(title="Only A Title"))
    assert summary.tldr == "Only A Title"
    assert split_sentences("We use e.g. small nets. It works.") == [
        "We use e.g. small nets.",
        "It works.",
    ]


def test_full_text_sections_feed_the_key_points() -> None:
    sections = parse_arxiv_html((FIXTURES / "arxiv_paper.html").read_bytes())
    assert [s.title for s in sections] == ["1 Introduction", "5 Experiments", "6 Limitations"]
    assert "noise 1 2 3" not in " ".join(s.text for s in sections)  # tables dropped
    paper = Paper(
        uid="p",
        title="Diffusion Policies That Plan",
        abstract="We propose a diffusion planner. It is fast.",
    )
    summary = ExtractiveSummariser().summarise(paper, sections)
    assert any(
        p.startswith(
            "Result (5 Experiments): On 20 manipulation tasks our method reaches 85.5% success"
        )
        for p in summary.points
    )
    assert any(p.startswith("Limitations (6 Limitations):") for p in summary.points)
    assert parse_arxiv_html(b"") == [] and parse_arxiv_html(b"\x00\xff") == []


def test_hf_summary_is_labelled() -> None:
    paper = Paper(
        uid="p",
        title="T",
        abstract="We propose X. X improves Y by 3%.",
        ai_summary="X makes Y better.",
        ai_keywords=("x", "y"),
    )
    summary = HfSummariser().summarise(paper)
    assert (summary.summariser, summary.tldr) == ("hf", "X makes Y better.")
    assert summary.note and "Hugging Face" in summary.note
    assert summary.points[-1] == "Keywords (Hugging Face): x, y"


async def test_summaries_are_cached_and_ambiguity_is_not_guessed() -> None:
    repo = MemoryRepository()
    service = SummaryService(repo, FixedClock(NOW))
    papers = [
        Paper(
            id="2401.00001",
            arxiv_id="2401.00001",
            title="Graph Neural Networks",
            abstract="We propose a GNN.",
        ),
        Paper(
            id="2401.00002",
            arxiv_id="2401.00002",
            title="Graph Neural Nets Again",
            abstract="We propose another GNN.",
        ),
    ]
    repo.upsert_papers(papers, NOW)
    resolved = await service.resolve("https://arxiv.org/abs/2401.00001v3")
    assert resolved.paper is not None and resolved.paper.id == "2401.00001"
    first = await service.summarise(resolved.paper)
    assert repo.get_summary(resolved.paper.key, "extractive") == first.to_json()
    assert await service.summarise(resolved.paper) == first
    ambiguous = await service.resolve("graph neural")
    assert ambiguous.paper is None and len(ambiguous.candidates) == 2
    with pytest.raises(UsageError, match="no paper matches"):
        await service.resolve("protein folding")
    with pytest.raises(UsageError, match="not stored"):
        await service.resolve("2402.99999")
    with pytest.raises(UsageError, match=r"doi\.org"):
        await service.resolve("10.1000/unknown")


async def test_unknown_ids_are_fetched_from_arxiv_and_titles_from_hf_search() -> None:
    from digest.sources.arxiv import ArxivApi
    from digest.sources.hf import HfSearch
    from digest.sources.http import HttpFetcher

    api_xml = (FIXTURES / "arxiv_api_small.xml").read_bytes()
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.host == "export.arxiv.org":
            return httpx.Response(200, content=api_xml)
        return httpx.Response(
            200,
            json=[
                {
                    "paper": {
                        "id": "2401.00011",
                        "title": "Options in Hierarchical RL",
                        "summary": "We study options.",
                    }
                },
                {
                    "paper": {
                        "id": "2401.00012",
                        "title": "Skills for Hierarchical RL",
                        "summary": "We learn skills.",
                    }
                },
            ],
        )

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        fetcher = HttpFetcher(client)
        repo = MemoryRepository()
        service = SummaryService(
            repo, FixedClock(NOW), arxiv=ArxivApi(fetcher), hf_search=HfSearch(fetcher)
        )
        found = await service.resolve("https://arxiv.org/abs/hep-th/9901001v2")
        assert found.paper is not None and found.paper.title == "An Old-Style Identifier"
        assert repo.get_paper("hep-th/9901001") is not None  # kept for next time
        assert "id_list=hep-th%2F9901001" in seen[0]
        choices = await service.resolve("temporally abstract skills")
        assert [p.id for p in choices.candidates] == ["2401.00011", "2401.00012"]
        assert "q=temporally+abstract+skills" in seen[-1]
