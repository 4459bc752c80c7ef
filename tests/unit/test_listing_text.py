"""The Daily Papers page saved as bare text: title and abstract lines only, in every form a
page takes on the way to us (issue #15, point 1). The shared real pages are in
tests/contract/test_shared_material.py; these use the repository's own small fixture."""

from __future__ import annotations

import codecs
import csv
import io
import random
import re
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from digest.errors import SourceError
from digest.models import Paper
from digest.parsers import detect_format, parse
from digest.parsers.common import decode_text
from digest.parsers.hf_listing import parse_hf_listing

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BARE = FIXTURES / "listing_bare_alternating.txt"
BANNER = [
    "Get trending papers in your email inbox once a day!",
    "Get trending papers in your email inbox!",
]

Pair = tuple[str, str]


def _oracle(data: bytes) -> list[Pair]:
    """The fixture's papers read off its known layout: two banner lines, "Subscribe" glued
    to the first title, then one title line and one abstract line, alternating."""
    lines = data.decode().splitlines()[len(BANNER) :]
    lines[0] = lines[0].removeprefix("Subscribe")
    return list(zip(lines[0::2], lines[1::2], strict=True))


ENTRIES = _oracle(BARE.read_bytes())


def _pairs(papers: Sequence[Paper]) -> list[Pair]:
    return [(p.title, p.abstract) for p in papers]


def _wrapped(abstract: str, width: int | None) -> list[str]:
    """An abstract as a narrow window shows it (a terminal, an e-mail): hard-wrapped."""
    return textwrap.wrap(abstract, width, break_on_hyphens=False) if width else [abstract]


def _render(
    entries: Sequence[Pair],
    *,
    header: Sequence[str] = BANNER,
    glue: bool = True,
    blank: bool = False,
    wrap: int | None = None,
    meta: Callable[[int], list[str]] = lambda _: [],
) -> str:
    """A page; ``blank`` puts blank lines between paragraphs (header lines, titles,
    abstracts, metadata blocks) as the browser copy of a page does."""
    paragraphs = list(header)
    for index, (title, abstract) in enumerate(entries):
        paragraphs.append(("Subscribe" if glue and index == 0 else "") + title)
        paragraphs.append("\n".join(_wrapped(abstract, wrap)))
        if block := meta(index):
            paragraphs.append("\n".join(block))
    return ("\n\n" if blank else "\n").join(paragraphs) + "\n"


def test_bare_page_of_alternating_lines_parses_whole() -> None:
    data = BARE.read_bytes()
    assert detect_format(data) == "hf-listing"
    papers = parse(data)
    assert _pairs(papers) == ENTRIES and len(papers) == 7
    titles = [p.title for p in papers]
    assert titles[0].startswith("Sparse Routers")  # "Subscribe" unglued
    assert "Do Reward Models Dream of Verifiable Answers?" in titles
    assert "Attention Sinks Are Not Necessary." in titles
    assert papers[2].abstract.count(". ") == 0  # a single-sentence abstract
    assert papers[3].abstract.endswith("https://github.com/example/tiny-rnn")
    for paper in papers:
        assert (paper.published, paper.upvotes, paper.author_count, paper.organization) == (
            None,
            None,
            None,
            None,
        )
        assert paper.sources == ("hf-listing",)


_TEXT = _render(ENTRIES)
_VARIANTS: dict[str, Callable[[], bytes]] = {
    "crlf": lambda: _TEXT.replace("\n", "\r\n").encode(),
    "old-mac-cr": lambda: _TEXT.replace("\n", "\r").encode(),
    "trailing-spaces": lambda: _TEXT.replace("\n", "  \t\n").encode(),
    "indented": lambda: re.sub(r"(?m)^", "   ", _TEXT).encode(),
    "no-final-newline": lambda: _TEXT.rstrip("\n").encode(),
    "utf-8-bom": lambda: codecs.BOM_UTF8 + _TEXT.encode(),
    "utf-16": lambda: _TEXT.encode("utf-16"),
    "cp1252": lambda: _TEXT.replace("\n", "\r\n").encode("cp1252"),
    "utf-8-with-one-cp1252-line": lambda: b"".join(
        line.encode("cp1252" if "Café:" in line else "utf-8")
        for line in _TEXT.splitlines(keepends=True)
    ),
    "blank-lines": lambda: _render(ENTRIES, blank=True).encode(),
    "no-header": lambda: _render(ENTRIES, header=[], glue=False).encode(),
    "other-header": lambda: _render(
        ENTRIES,
        header=["new", "Trending Papers", "Daily Papers", "Oct 30", "Subscribe"],
        glue=False,
    ).encode(),
    "footer": lambda: (_TEXT + "Previous\nNext page\n").encode(),
    "banner-glued": lambda: (
        "Get trending papers in your email inbox!Subscribe"
        + _render(ENTRIES, header=[], glue=False)
    ).encode(),
    "wrapped-72": lambda: _render(ENTRIES, wrap=72).encode(),
    "wrapped-50-blank-lines": lambda: _render(ENTRIES, wrap=50, blank=True).encode(),
    "reversed": lambda: _render(ENTRIES[::-1]).encode(),
    "metadata-on-some": lambda: _render(
        ENTRIES, meta=lambda i: ["  • 3 authors", "·", "Jun 9, 2025 2"] if i % 2 else []
    ).encode(),
}


@pytest.mark.parametrize("variant", sorted(_VARIANTS))
def test_bare_page_in_every_saved_form(variant: str) -> None:
    data = _VARIANTS[variant]()
    expected = ENTRIES[::-1] if variant == "reversed" else ENTRIES
    assert detect_format(data) == "hf-listing"
    assert _pairs(parse(data)) == expected


def test_page_whose_first_title_starts_with_a_bracket_is_no_json() -> None:
    entries = [("[Re] Sparse Routers Revisited: A Reproduction", ENTRIES[0][1]), *ENTRIES[1:]]
    data = _render(entries, header=[], glue=False).encode()
    assert detect_format(data) == "hf-listing"
    assert _pairs(parse(data)) == entries


def test_metadata_kept_where_present() -> None:
    data = _VARIANTS["metadata-on-some"]()
    papers = parse_hf_listing(data, page_year=2025)
    assert [p.upvotes for p in papers] == [None, 2, None, 2, None, 2, None]
    assert [p.author_count for p in papers] == [None, 3, None, 3, None, 3, None]


def _abstract_ends(text: str) -> list[int]:
    return [text.index(abstract) + len(abstract) for _, abstract in ENTRIES]


@pytest.mark.parametrize("step", [1, 7])
def test_page_cut_anywhere_keeps_only_whole_papers(step: int) -> None:
    """Cut mid-word anywhere (a title, an abstract): every paper that is kept is whole, and
    every paper whose abstract ended before the cut is kept. Cuts inside a final link are
    left out: "https://github.com/exa" cannot be told from a whole link."""
    ends = _abstract_ends(_TEXT)
    links = [(m.start(), m.end()) for m in re.finditer(r"https?://\S+", _TEXT)]
    cuts = [
        k
        for k in range(_TEXT.index("Sparse"), len(_TEXT), step if step > 1 else 1)
        if _TEXT[k - 1].isalpha() and not any(a < k <= b for a, b in links)
    ]
    if step == 1:  # every position of the last two abstracts only: the whole file is slow
        cuts = [k for k in cuts if k > ends[-3]]
    for k in cuts:
        whole = ENTRIES[: sum(end < k for end in ends)]
        if not whole:
            with pytest.raises(SourceError, match="no paper"):
                parse_hf_listing(_TEXT[:k].encode())
            continue
        assert _pairs(parse_hf_listing(_TEXT[:k].encode())) == whole, k


def test_page_cut_inside_a_multibyte_character() -> None:
    data = _TEXT.encode()
    k = data.index("proxy’s".encode()) + len("proxy") + 1  # inside the three bytes of ’
    assert _pairs(parse(data[:k])) == ENTRIES[:-1]


# --- generated pages ------------------------------------------------------------------------
_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=11)
_TERM = st.sampled_from(["LLMs", "RL", "3.5%", "(MoE)", "GPT-4", "e.g.", "state-of-the-art", "2x"])
_TITLE_CASE = st.builds(
    lambda words, colon, end: (
        " ".join(w.capitalize() for w in words).replace(" ", ": ", 1 if colon else 0) + end
    ),
    st.lists(_WORD, min_size=3, max_size=12),
    st.booleans(),
    st.sampled_from(["", "", "", "?", ".", "!"]),
)
# Some titles are in sentence case ("Solving robust MDPs as a sequence of ..."); those seen
# end without a full stop.
_ACRONYM = st.sampled_from(["LLMs", "RL", "MoE", "GPT-4", "3D"])
_SENTENCE_CASE = st.lists(st.one_of(_WORD, _ACRONYM), min_size=4, max_size=12).map(
    lambda words: " ".join(words)[:1].upper() + " ".join(words)[1:]
)
_SENTENCE = st.builds(
    lambda first, rest: " ".join([first.capitalize(), *rest]) + ".",
    _WORD,
    st.lists(st.one_of(_WORD, _WORD, _WORD, _TERM), min_size=9, max_size=29),
)
# An abstract opens as abstracts do; "Then ..." or "However, ..." never opens one.
_OPENING = st.sampled_from(["We", "This", "Recent", "Large", "Existing", "Despite", "Training"])


def _abstract(opening: str, sentences: list[str], link: str) -> str:
    first = f"{opening} {sentences[0][:1].lower()}{sentences[0][1:]}"
    return " ".join([first, *sentences[1:]]) + link


_ABSTRACT = st.builds(
    _abstract,
    _OPENING,
    st.lists(_SENTENCE, min_size=1, max_size=8),
    st.sampled_from(["", "", "", " Code: https://github.com/lab/repo"]),
).filter(lambda abstract: len(abstract) >= 40)  # shorter is no abstract (_MIN_ABSTRACT)


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    header=st.booleans(),
    blank=st.booleans(),
    wrap=st.sampled_from([None, None, 60, 80]),
    eol=st.sampled_from(["\n", "\r\n"]),
    metadata=st.sampled_from(["none", "some", "all"]),
)
def test_generated_pages_give_back_their_papers(
    data: st.DataObject, header: bool, blank: bool, wrap: int | None, eol: str, metadata: str
) -> None:
    """Any page of title and abstract lines gives them back, in any layout, as far as the
    page itself can tell. Two limits, where no reader could tell either: titles in sentence
    case are left out of wrapped pages without blank lines (a title like "Learning rates
    for small models" right after a full line reads as the abstract's next line); and a
    wrapped page must show its width, in a few lines that go on mid-sentence (if every line
    ends a sentence, "title, sentence, sentence" is one paper or two)."""
    decidable = wrap is None or blank
    titles = st.one_of(_TITLE_CASE, _TITLE_CASE, _SENTENCE_CASE) if decidable else _TITLE_CASE
    entries = data.draw(st.lists(st.tuples(titles, _ABSTRACT), min_size=1, max_size=12))
    if wrap:
        lines = [line for _, abstract in entries for line in _wrapped(abstract, wrap)]
        assume(sum(line[:1].islower() for line in lines) >= 5)

    def meta(index: int) -> list[str]:
        on = metadata == "all" or (metadata == "some" and index % 3 == 1)
        return ["  • 2 authors", "·", "Mar 3, 2025 7"] if on else []

    text = _render(
        entries, header=BANNER if header else [], glue=header, blank=blank, wrap=wrap, meta=meta
    )
    page = text.replace("\n", eol).encode()
    if header:
        assert detect_format(page) == "hf-listing"
    assert _pairs(parse_hf_listing(page)) == entries


# --- what is not a listing ------------------------------------------------------------------
def _csv_of_entries() -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["title", "abstract"])
    writer.writerows(ENTRIES)
    return buffer.getvalue().encode()


_README = b"""# paperboy

A research-paper digest bot for Slack and Discord.

## Install

Run `make install`, then copy `.env.example` to `.env` and fill in the tokens. The bot
reads its settings from the environment; every setting has a default except the tokens.

## Use

- `/papers interests add <topic>` follows a topic.
- `/papers digest now` posts today's digest.
"""
_NOTES = (
    b"Meeting notes\nWe talked about the roadmap for the next quarter and agreed that the "
    b"parser needs work. Alice will look at the listing format.\nAction items\nBob sends the "
    b"slides to everyone before Friday and books a room for the review.\n"
)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"\r\n \n\t\n", id="blank"),
        pytest.param(_README, id="readme"),
        pytest.param(_NOTES, id="notes"),
        pytest.param(_csv_of_entries(), id="csv-of-papers"),
        pytest.param(random.Random(15).randbytes(4000), id="random-bytes"),
        pytest.param(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, id="png"),
    ],
)
def test_a_text_that_is_no_listing_is_refused_in_one_line(data: bytes) -> None:
    with pytest.raises(SourceError) as caught:
        parse(data)
    assert "\n" not in str(caught.value)


def test_decode_text_reads_what_editors_write() -> None:
    assert decode_text("Café\n".encode("cp1252"), "t") == "Café\n"
    mixed = "Café\n".encode("cp1252") + "Déjà vu\n".encode()
    assert decode_text(mixed, "t") == "Café\nDéjà vu\n"
    assert decode_text(codecs.BOM_UTF8 + "Café".encode(), "t") == "Café"
    assert decode_text(codecs.BOM_UTF16_LE + "Café\n".encode("utf-16-le"), "t") == "Café\n"
    assert decode_text("Café".encode("utf-16") + b"C", "t") == "Café"  # odd byte: cut short
    assert decode_text("naïve".encode()[:-3], "t") == "na"  # "ï" cut in half
    with pytest.raises(SourceError, match="binary"):
        decode_text(bytes(range(32)) * 4, "t")
