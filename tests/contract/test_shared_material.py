"""Contract tests on the real captured material in ../shared (skipped where it is absent)."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from digest.models import Paper
from digest.parsers import detect_format, parse
from digest.parsers.arxiv import parse_arxiv_api, parse_arxiv_feed
from digest.parsers.hf_daily import parse_hf_daily
from digest.parsers.hf_listing import parse_hf_listing
from tests.conftest import SHARED, shared_path

_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_DATE = re.compile(r"^(\w{3}) (\d{1,2})(?:, (\d{4}))?(?: (\d+))?$")


def _listing_files() -> list[Path]:
    directory = SHARED / "listings"
    return sorted(directory.glob("*.txt")) if directory.is_dir() else []


def _oracle(text: str, page_year: int) -> list[dict[str, object]]:
    """What a person reads off a listing page with blank lines: an independent expectation.

    A title is a paragraph followed by a (long) abstract paragraph; the metadata block
    (authors or organisation, "·", date with optional upvotes) may follow.
    """
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    expected: list[dict[str, object]] = []
    for index, para in enumerate(paragraphs[:-1]):
        following = paragraphs[index + 1]
        if "\n" in para or len(para) > 300 or len(following) < 300 or "\n" in following:
            continue
        entry: dict[str, object] = {
            "title": para,
            "abstract": following,
            "published": None,
            "upvotes": None,
        }
        if index + 2 < len(paragraphs) and "\n·\n" in paragraphs[index + 2]:
            match = _DATE.match(paragraphs[index + 2].splitlines()[-1].strip())
            assert match, paragraphs[index + 2]
            month, day, year, votes = match.groups()
            entry["published"] = date(int(year or page_year), _MONTHS.index(month) + 1, int(day))
            entry["upvotes"] = int(votes) if votes else None
        expected.append(entry)
    return expected


@pytest.mark.parametrize(
    "path", _listing_files() or [SHARED / "listings" / "missing.txt"], ids=lambda p: p.name
)
def test_listing_pages_yield_every_paper(path: Path) -> None:
    data = shared_path("listings", path.name).read_bytes()
    assert detect_format(data) == "hf-listing"
    papers = parse_hf_listing(data, page_year=2025)
    expected = _oracle(data.decode(), 2025)
    assert len(expected) >= 20
    assert [p.title for p in papers] == [e["title"] for e in expected]
    assert [p.abstract for p in papers] == [e["abstract"] for e in expected]
    assert [p.published for p in papers] == [e["published"] for e in expected]
    assert [p.upvotes for p in papers] == [e["upvotes"] for e in expected]


@pytest.mark.parametrize(
    "path", _listing_files() or [SHARED / "listings" / "missing.txt"], ids=lambda p: p.name
)
def test_listing_pages_survive_lost_blank_lines_and_metadata(path: Path) -> None:
    """The variations other pages of the site show, made from the real pages."""
    text = shared_path("listings", path.name).read_text()
    titles = [p.title for p in parse_hf_listing(text.encode(), page_year=2025)]
    packed = "\n".join(line for line in text.splitlines() if line.strip())
    assert [p.title for p in parse_hf_listing(packed.encode())] == titles
    meta = re.compile(r"^\s*•|^·$|^\w{3} \d{1,2}(, \d{4})?( \d+)?$")
    lines = text.splitlines()
    bare = [
        line
        for i, line in enumerate(lines)
        if not meta.match(line) and not (i + 1 < len(lines) and lines[i + 1] == "·")
    ]
    assert [p.title for p in parse_hf_listing("\n".join(bare).encode())] == titles
    glued = re.sub(
        r"Subscribe\s+Daily Papers\s+byAK and the research community\s+\w{3} \d+\s+",
        "Subscribe",
        text,
        count=1,
    )
    assert glued != text
    assert [p.title for p in parse_hf_listing(glued.encode())] == titles


# --- the pages stripped to title and abstract lines (issue #15, point 1) -------------------
_META_LINE = re.compile(r"^\s*•|^·$|^\w{3} \d{1,2}(, \d{4})?( \d+)?$")
_BANNER = (
    "Get trending papers in your email inbox once a day!\nGet trending papers in your email inbox!"
)
_FIRST_SENTENCE = re.compile(r"^(.+?[a-z0-9)][.!?])\s+[A-Z]")
Pair = tuple[str, str]


def _stripped(text: str) -> list[str]:
    """A real page as the plainest saved pages keep it: every metadata line (authors or
    organisation, "·", date and upvotes) and every blank line taken out."""
    lines = text.splitlines()
    return [
        line
        for i, line in enumerate(lines)
        if line.strip()
        and not _META_LINE.match(line)
        and not (i + 1 < len(lines) and lines[i + 1] == "·")  # the organisation line
    ]


def _bare_page(pairs: list[Pair], *, header: bool = True) -> str:
    """The issue's page: the banner, "Subscribe" glued to the first title, then one title
    line and one abstract line, alternating, nothing else."""
    lines = [line for title, abstract in pairs for line in (title, abstract)]
    if not header:
        return "\n".join(lines) + "\n"
    return _BANNER + "\nSubscribe" + "\n".join(lines) + "\n"


def _pairs_of(papers: list[Paper]) -> list[Pair]:
    return [(p.title, p.abstract) for p in papers]


def _edge_cases(pairs: list[Pair]) -> list[Pair]:
    """Titles ending in "?" or "." and abstracts of one sentence, among the real ones."""
    changed = []
    for index, (title, abstract) in enumerate(pairs):
        if index % 3 == 0:
            title += "?" if index % 2 else "."
        if index % 4 == 1 and (first := _FIRST_SENTENCE.match(abstract)):
            abstract = first.group(1)
        changed.append((title, abstract))
    return changed


def _cut_in_abstract(text: str, abstract: str) -> str:
    """The text cut off mid-word in the middle of this abstract (before any link in it)."""
    link = abstract.find("http")
    cut = text.index(abstract) + min(len(abstract) // 2, link if link > 0 else len(abstract))
    while not text[cut - 1].isalpha():
        cut -= 1
    return text[:cut]


_STRIPPED_VARIANTS = [
    "stripped",
    "stripped-crlf",
    "stripped-trailing-spaces",
    "bare-page",
    "bare-page-without-header",
    "bare-page-edge-cases",
    "bare-page-cut-in-last-abstract",
    "bare-page-cut-in-tenth-abstract",
]


@pytest.mark.parametrize("variant", _STRIPPED_VARIANTS)
@pytest.mark.parametrize(
    "path", _listing_files() or [SHARED / "listings" / "missing.txt"], ids=lambda p: p.name
)
def test_listing_pages_stripped_to_title_and_abstract_lines(path: Path, variant: str) -> None:
    """Every real page, stripped of its metadata and blank lines in the ways saved pages
    are, gives back the same titles and abstracts (and no dates or votes)."""
    text = shared_path("listings", path.name).read_text()
    pairs = _pairs_of(parse_hf_listing(text.encode(), page_year=2025))
    stripped = _stripped(text)
    pages: dict[str, tuple[str, list[Pair]]] = {
        "stripped": ("\n".join(stripped) + "\n", pairs),
        "stripped-crlf": ("\r\n".join(stripped) + "\r\n", pairs),
        "stripped-trailing-spaces": ("  \n".join(stripped) + " \t\n", pairs),
        "bare-page": (_bare_page(pairs), pairs),
        "bare-page-without-header": (_bare_page(pairs, header=False), pairs),
        "bare-page-edge-cases": (_bare_page(_edge_cases(pairs)), _edge_cases(pairs)),
        "bare-page-cut-in-last-abstract": (
            _cut_in_abstract(_bare_page(pairs), pairs[-1][1]),
            pairs[:-1],
        ),
        "bare-page-cut-in-tenth-abstract": (
            _cut_in_abstract(_bare_page(pairs), pairs[9][1]),
            pairs[:9],
        ),
    }
    page, expected = pages[variant]
    data = page.encode()
    assert detect_format(data) == "hf-listing"
    papers = parse(data)
    assert _pairs_of(papers) == expected
    assert all(p.published is None and p.upvotes is None for p in papers)


def test_all_four_stripped_listings_as_one_bare_page() -> None:
    files = _listing_files() or [shared_path("listings", "missing.txt")]
    pairs = [
        pair
        for path in files
        for pair in _pairs_of(parse_hf_listing(path.read_bytes(), page_year=2025))
    ]
    assert len(pairs) == 186
    assert _pairs_of(parse(_bare_page(pairs).encode())) == pairs


def test_hf_daily_papers_fixture() -> None:
    raw = shared_path("fixtures", "hf_daily_papers.json").read_bytes()
    items = json.loads(raw)
    papers = parse_hf_daily(raw)
    assert detect_format(raw) == "hf-daily"
    assert len(papers) == len(items) == 30
    assert [p.id for p in papers] == [i["paper"]["id"] for i in items]
    assert [p.upvotes for p in papers] == [i["paper"]["upvotes"] for i in items]
    assert [p.ai_summary for p in papers] == [i["paper"]["ai_summary"] for i in items]
    assert [p.title for p in papers] == [i["paper"]["title"] for i in items]
    assert all(p.abstract and p.authors for p in papers)
    with_code = [p for p in papers if p.code_url]
    assert len(with_code) == sum(1 for i in items if i["paper"].get("githubRepo"))


def test_arxiv_api_fixture() -> None:
    raw = shared_path("fixtures", "arxiv_api_query.xml").read_bytes()
    papers = parse_arxiv_api(raw)
    assert detect_format(raw) == "arxiv-atom"
    ids = re.findall(r"<id>http://arxiv.org/abs/([\d.]+)v\d+</id>", raw.decode())
    assert [p.id for p in papers] == ids and len(ids) == 5
    assert all(p.version == 1 for p in papers)
    assert papers[0].primary_category == "cs.RO"
    assert papers[0].categories == ("cs.RO", "cs.AI", "cs.CV", "cs.LG")
    assert papers[0].comment == "Project Page: https://zhaohengyin.github.io/mana"
    assert all("\n" not in p.title and "  " not in p.abstract for p in papers)


def test_arxiv_rss_fixture() -> None:
    raw = shared_path("fixtures", "arxiv_rss_atom_cs.AI.xml").read_bytes()
    papers = parse_arxiv_feed(raw)
    assert detect_format(raw) == "arxiv-rss"
    ids = re.findall(r"<id>oai:arXiv.org:([\d.]+)v\d+</id>", raw.decode())
    assert [p.id for p in papers] == ids and len(ids) == 7
    types = re.findall(r"<arxiv:announce_type>(\w[\w-]*)</arxiv:announce_type>", raw.decode())
    assert [p.announce_type for p in papers] == types
    assert {"new", "cross"} <= set(types)
    assert papers[0].categories == ("cs.CL", "cs.AI")
    assert papers[0].authors == ("Chunhua Liu", "Kabir Manandhar Shrestha", "Sukai Huang")
    assert all(not p.abstract.startswith("arXiv:") for p in papers)


def test_every_shared_listing_parses_through_auto_detection() -> None:
    for path in [*_listing_files(), *sorted((SHARED / "fixtures").glob("*"))]:
        if path.name == "semantic_scholar_search.json":
            continue
        assert parse(path.read_bytes()), path
    shared_path("fixtures")


async def test_a_digest_of_real_listings_gives_every_interest_a_place() -> None:
    """On the real listings, papers on mixture of experts outscore the rest: before the
    digest shared its places, a channel following three topics got six of eight on MoE and
    none on diffusion policy."""
    from datetime import UTC, datetime

    from bot.handlers import CommandContext, Handlers
    from digest.clock import FixedClock
    from digest.models import Platform
    from digest.outbox import Outbox
    from digest.service import DigestService
    from storage.memory import MemoryRepository

    shared_path("listings")
    now = datetime(2026, 6, 12, 7, 0, tzinfo=UTC)
    repository, clock = MemoryRepository(), FixedClock(now)
    papers = [p for path in _listing_files() for p in parse(path.read_bytes(), today=now.date())]
    repository.upsert_papers(papers, now)
    handlers = Handlers(
        repository, DigestService(repository, clock), Outbox(repository, clock, owner="t"), clock
    )
    ctx = CommandContext(platform=Platform.CONSOLE, workspace_id="w", channel_id="c", user_id="u")
    topics = ["RLHF", "diffusion policy", "mixture of experts"]
    for topic in topics:
        await handlers.handle(f"interests add {topic}", ctx)
    preview = await handlers.handle("preview", ctx)
    assert preview.digest is not None and len(preview.digest.items) == 8
    held = {topic: sum(f"“{topic}”" in i.why for i in preview.digest.items) for topic in topics}
    assert all(2 <= places <= 3 for places in held.values()), held
