"""Parsers on the repository's own small fixtures: every format, every variation."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest.errors import SourceError
from digest.identifiers import find_arxiv_id, normalise_doi, parse_arxiv_id
from digest.parsers import FORMATS, detect_format, parse
from digest.parsers.arxiv import parse_arxiv_api, parse_arxiv_feed, split_creators
from digest.parsers.feed import parse_feed
from digest.parsers.hf_daily import parse_hf_daily
from digest.parsers.hf_listing import parse_hf_listing
from digest.parsers.jsonl import parse_jsonl

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


# --- identifiers ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "base", "version"),
    [
        ("2401.12345", "2401.12345", None),
        ("2401.12345v3", "2401.12345", 3),
        ("arXiv:0704.0001v1", "0704.0001", 1),
        ("hep-th/9901001", "hep-th/9901001", None),
        ("math.GT/0309136v2", "math.GT/0309136", 2),
    ],
)
def test_parse_arxiv_id(text: str, base: str, version: int | None) -> None:
    parsed = parse_arxiv_id(text)
    assert parsed is not None
    assert (parsed.base, parsed.version) == (base, version)


@pytest.mark.parametrize("text", ["2413.12345", "12345", "hello", "2401.123", ""])
def test_not_an_arxiv_id(text: str) -> None:
    assert parse_arxiv_id(text) is None


@pytest.mark.parametrize(
    ("text", "base"),
    [
        ("https://arxiv.org/abs/2401.12345v2", "2401.12345"),
        ("https://arxiv.org/pdf/2401.12345v1.pdf", "2401.12345"),
        ("oai:arXiv.org:2508.13426v1", "2508.13426"),
        ("https://arxiv.org/abs/hep-th/9901001", "hep-th/9901001"),
        ("https://huggingface.co/papers/2401.12345", "2401.12345"),
    ],
)
def test_find_arxiv_id_in_urls(text: str, base: str) -> None:
    found = find_arxiv_id(text)
    assert found is not None and found.base == base


def test_doi_normalisation() -> None:
    assert normalise_doi("https://doi.org/10.1000/ABC") == "10.1000/abc"
    assert normalise_doi("doi:10.1000/x") == "10.1000/x"
    assert normalise_doi("not a doi") is None


# --- HF listing text ------------------------------------------------------------------------
def test_listing_without_blank_lines_and_with_glued_header() -> None:
    papers = parse_hf_listing(fixture("listing_no_blank_lines.txt"), page_year=2025)
    assert [p.title for p in papers] == [
        "Tiny Transformers Learn Sorting",
        "Gradient Noise Is Not Your Enemy",
        "A Paper Without Metadata Lines",
        "The Last Entry: Wrapped Abstracts",
    ]
    first, second, third, last = papers
    assert first.abstract.endswith("Accuracy stays above 99.2% on held-out lengths.")
    assert (first.author_count, first.published, first.upvotes) == (3, date(2025, 7, 1), 4)
    assert (second.organization, second.published, second.upvotes) == (
        "Amazon",
        date(2025, 6, 30),
        12,
    )
    assert third.published is None and third.upvotes is None
    assert last.abstract == (
        "This abstract was copied from a narrow window so its lines wrap in the middle of "
        "sentences, and the parser must join them back into one paragraph."
    )
    assert (last.author_count, last.published, last.upvotes) == (1, date(2024, 6, 2), None)
    assert all(p.id is None and p.sources == ("hf-listing",) for p in papers)


def test_listing_glued_subscribe_without_any_metadata() -> None:
    papers = parse_hf_listing(fixture("listing_glued_no_meta.txt"))
    assert [p.title for p in papers] == [
        "First Title Glued to Subscribe",
        "Second Title: Still No Metadata?",
    ]
    assert "3.5% kept intact" in papers[0].abstract


def test_listing_year_less_dates_need_a_page_year() -> None:
    papers = parse_hf_listing(fixture("listing_no_blank_lines.txt"))
    assert papers[1].published is None  # "Jun 30" with no page year given
    assert papers[0].published == date(2025, 7, 1)


@pytest.mark.parametrize("data", [b"", b"just one line", b"\n\n\n", b"Title\n\nshort"])
def test_listing_without_papers_is_a_source_error(data: bytes) -> None:
    with pytest.raises(SourceError, match="hf-listing"):
        parse_hf_listing(data)


# --- HF daily JSON --------------------------------------------------------------------------
def test_hf_daily_tolerates_missing_optional_fields() -> None:
    payload = [
        {"paper": {"id": "2401.00001", "title": "Old Response", "summary": "S.", "upvotes": 3}},
        {
            "paper": {
                "id": "2401.00002",
                "title": "New",
                "summary": "S.",
                "upvotes": True,
                "ai_summary": "AI says.",
                "ai_keywords": ["a", 3, "b"],
                "githubRepo": "https://github.com/x/y",
                "authors": [{"name": "A"}, {"name": "Hidden", "hidden": True}, {}],
            },
            "thumbnail": "https://t/2.png",
            "numComments": 2,
            "organization": {"name": "org", "fullname": "The Org"},
        },
    ]
    old, new = parse_hf_daily(json.dumps(payload).encode())
    assert (old.id, old.upvotes, old.ai_summary, old.ai_keywords) == ("2401.00001", 3, None, ())
    assert new.upvotes is None  # a JSON true is not a count
    assert new.ai_keywords == ("a", "b")
    assert new.authors == ("A",)
    assert (new.code_url, new.thumbnail, new.organization) == (
        "https://github.com/x/y",
        "https://t/2.png",
        "The Org",
    )
    assert new.hf_url == "https://huggingface.co/papers/2401.00002"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b'[{"paper": {"id": "1"', "invalid JSON"),
        (b'{"error": "rate limited"}', "expected a JSON array"),
        (b'[{"paper": {"id": "2401.00001"}}]', "no entry"),
        (b"\xff\xfe\x00", "not UTF-8"),
    ],
)
def test_hf_daily_bad_payloads(data: bytes, problem: str) -> None:
    with pytest.raises(SourceError, match=problem):
        parse_hf_daily(data)


# --- arXiv ----------------------------------------------------------------------------------
def test_arxiv_rss2_flavour() -> None:
    new, replaced = parse_arxiv_feed(fixture("arxiv_rss2.xml"))
    assert (new.id, new.version, new.announce_type) == ("2501.00001", 1, "new")
    assert new.title == "A New Result Across Two Lines"
    assert new.abstract == "We prove a new bound. It is tight."
    assert new.authors == ("Ada Lovelace", "Alan Turing", "Grace Hopper")
    assert new.categories == ("cs.LG", "stat.ML")
    assert new.published == date(2025, 1, 6)
    assert (replaced.announce_type, replaced.version) == ("replace", 3)


def test_arxiv_api_old_style_and_extras() -> None:
    (paper,) = parse_arxiv_api(fixture("arxiv_api_small.xml"))
    assert (paper.id, paper.version) == ("hep-th/9901001", 2)
    assert paper.title == "An Old-Style Identifier"
    assert paper.abstract == "A classic abstract."
    assert paper.doi == "10.1000/xyz.123"
    assert paper.journal_ref == "Phys. Lett. B 1 (1999)"
    assert (paper.primary_category, paper.categories) == ("hep-th", ("hep-th", "gr-qc"))


def test_arxiv_api_error_entry_is_a_source_error() -> None:
    with pytest.raises(SourceError, match="incorrect id format"):
        parse_arxiv_api(fixture("arxiv_api_error.xml"))


def test_empty_arxiv_feed_is_an_empty_day_not_an_error() -> None:
    empty = (
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>'
    )
    assert parse_arxiv_feed(empty) == []


@pytest.mark.parametrize(
    "data",
    [
        b"<feed xmlns='http://www.w3.org/2005/Atom'><entry><id>x",  # truncated
        b"<html><body>Service unavailable</body></html>",
        b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><rss><channel><item>'
        b"<title>&e;</title><guid>oai:arXiv.org:2501.00001</guid></item></channel></rss>",
    ],
)
def test_arxiv_feed_bad_or_hostile_xml(data: bytes) -> None:
    try:
        papers = parse_arxiv_feed(data)
    except SourceError as exc:
        assert exc.source == "arxiv-rss"
    else:  # the external entity must never be resolved
        assert all("root:" not in p.title for p in papers)


def test_split_creators() -> None:
    assert split_creators("A, B and C") == ("A", "B", "C")
    assert split_creators("Solo Author") == ("Solo Author",)
    assert split_creators(None) == ()


# --- generic feeds and JSONL ----------------------------------------------------------------
def test_generic_feed_strips_html_and_finds_arxiv_links() -> None:
    post, news = parse_feed(fixture("blog_feed.xml"))
    assert post.title == "Our new paper on arXiv"
    assert post.abstract == "Read it at https://arxiv.org/abs/2502.01234v2 — enjoy."
    assert (post.arxiv_id, post.published) == ("2502.01234", date(2025, 2, 4))
    assert news.id == "https://lab.example.org/posts/2" and news.arxiv_id is None


def test_jsonl_records() -> None:
    with_arxiv, own_id, title_only = parse_jsonl(fixture("papers.jsonl"))
    assert (with_arxiv.id, with_arxiv.version, with_arxiv.upvotes) == ("2401.12345", 2, 5)
    assert with_arxiv.published == date(2024, 1, 22)
    assert own_id.id == "local-7" and own_id.authors == ("C Three", "D Four")
    assert title_only.id is None and title_only.abstract == ""


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b'{"title": "ok"}\n{"title": ', "line 2: invalid JSON"),
        (b'{"title": "ok"}\n{"abstract": "no title"}', "line 2: every record needs"),
        (b'{"title": "ok"}\n[1, 2]', "line 2: expected a JSON object"),
    ],
)
def test_jsonl_bad_lines_name_the_line(data: bytes, problem: str) -> None:
    with pytest.raises(SourceError, match=problem):
        parse_jsonl(data)


# --- detection ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("listing_no_blank_lines.txt", "hf-listing"),
        ("arxiv_rss2.xml", "arxiv-rss"),
        ("arxiv_api_small.xml", "arxiv-atom"),
        ("blog_feed.xml", "rss"),
        ("papers.jsonl", "jsonl"),
    ],
)
def test_detect_format(name: str, expected: str) -> None:
    assert detect_format(fixture(name)) == expected


def test_detect_hf_daily_json() -> None:
    assert detect_format(b'[{"paper": {"id": "2401.00001", "title": "T"}}]') == "hf-daily"


@pytest.mark.parametrize(
    "data",
    [b"", b"hello world\nthis is not a listing", b'{"total": 3, "data": []}', b"\x00\x01\x02" * 10],
)
def test_non_listings_are_refused(data: bytes) -> None:
    with pytest.raises(SourceError):
        parse(data)


def test_unknown_format_name() -> None:
    with pytest.raises(SourceError, match="unknown format"):
        parse(b"[]", "pdf")


# --- no input crashes a parser ---------------------------------------------------------------
_PARSERS = [
    parse_hf_listing,
    parse_hf_daily,
    parse_arxiv_api,
    parse_arxiv_feed,
    parse_feed,
    parse_jsonl,
    parse,
]


@pytest.mark.parametrize("parser", _PARSERS, ids=lambda p: p.__name__)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=2000))
def test_no_bytes_crash_a_parser(parser: object, data: bytes) -> None:
    try:
        result = parser(data)  # type: ignore[operator]
    except SourceError:
        return
    assert isinstance(result, list)


_TEXTY = st.text(alphabet=st.characters(codec="utf-8"), max_size=600)
_STRUCTURED = st.one_of(
    _TEXTY.map(lambda t: f"Daily Papers\n{t}\n  • 3 authors\n·\nJan 5 2\n{t}"),
    _TEXTY.map(lambda t: f'[{{"paper": {{"id": "{t[:12]}", "title": {json.dumps(t)}}}}}]'),
    _TEXTY.map(lambda t: f"<feed xmlns='http://www.w3.org/2005/Atom'><entry>{t}</entry></feed>"),
    _TEXTY.map(lambda t: json.dumps({"title": t}) + "\n" + t),
)


@pytest.mark.parametrize("parser", _PARSERS, ids=lambda p: p.__name__)
@settings(max_examples=150, deadline=None)
@given(text=_STRUCTURED)
def test_near_valid_input_never_crashes(parser: object, text: str) -> None:
    try:
        result = parser(text.encode())  # type: ignore[operator]
    except SourceError:
        return
    assert isinstance(result, list)


def test_formats_listed() -> None:
    assert set(FORMATS) == {"hf-daily", "hf-listing", "arxiv-atom", "arxiv-rss", "rss", "jsonl"}
