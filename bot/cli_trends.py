"""`paperboy trends`: a trends picture from a listing file, without a chat platform."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from digest.errors import PaperboyError, SourceError
from digest.models import Interest, InterestKind
from digest.parsers import parse
from digest.ranking.query import parse_query
from digest.ranking.ranker import interest_key
from digest.trends import DEFAULT_WEEKS, MAX_WEEKS, build_trends, match_papers, paper_day

__all__ = ["trends_command"]

console = Console()
err = Console(stderr=True, soft_wrap=True)


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"error: {message}", markup=False, highlight=False)
    return typer.Exit(code)


def trends_command(
    papers: Annotated[Path, typer.Option("--papers", help="Any file `paperboy parse` reads")],
    interest: Annotated[
        list[str], typer.Option("--interest", help="An interest (repeatable), as in /papers")
    ],
    out: Annotated[Path, typer.Option("--out", help="The PNG file to write")],
    weeks: Annotated[
        int, typer.Option(min=1, max=MAX_WEEKS, help="Weeks shown, up to the newest paper's")
    ] = DEFAULT_WEEKS,
    threshold: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Relevance a paper needs to match")
    ] = 0.25,
) -> None:
    """Draw the trends picture of a listing file (contract: `trends --papers PATH
    --interest TEXT... [--weeks N] --out FILE.png`): papers matched per week and interest,
    the top papers by HF upvotes, and the emerging phrases."""
    from bot.charts import HEIGHT, WIDTH, write_trends  # matplotlib loads only when drawing

    if out.suffix.lower() != ".png":
        raise _fail(f"--out must name a .png file (got {out.name})", 2)
    try:
        data = papers.read_bytes()
    except OSError as exc:
        raise _fail(f"cannot read {papers}: {exc.strerror}") from None
    try:
        parsed = parse(data, "auto", today=date.today())
    except SourceError as exc:
        raise _fail(f"{papers}: not a readable listing ({exc.reason})") from None
    for text in interest:
        try:
            parse_query(text)
        except PaperboyError as exc:
            raise _fail(f"--interest {text[:60]}: {exc}", 2) from None
    interests = [Interest(kind=InterestKind.QUERY, text=t) for t in dict.fromkeys(interest)]
    # Keys must be unique; papers without any id are keyed by their position.
    keyed = [p.replace(uid=f"{n}:{p.key}") for n, p in enumerate(parsed)]
    days = [d for p in keyed if (d := paper_day(p)) is not None]
    if not days:
        raise _fail(f"{papers}: no paper has a date, so there are no weeks to count", 2)
    matches = match_papers(keyed, interests, min_score=threshold)
    trends = build_trends(
        matches,
        {p.key: p for p in keyed},
        interests=[interest_key(i) for i in interests],
        today=max(days),
        weeks=weeks,
        votes={p.key: p.upvotes for p in keyed if p.upvotes},
        vote_label="HF upvotes",
        title=f"Trends in {papers.name}",
    )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_trends(trends, out)
    except OSError as exc:
        raise _fail(f"cannot write {out}: {exc.strerror}") from None
    for series in trends.series:
        counts = " ".join(str(c) for c in series.counts)
        console.print(f"{series.label}: {counts}", markup=False, highlight=False)
    if trends.rising:
        phrases = ", ".join(f"{p.phrase} ({p.previous:.0%}→{p.share:.0%})" for p in trends.rising)
        console.print(f"emerging: {phrases}", markup=False, highlight=False)
    console.print(f"{out} ({WIDTH}x{HEIGHT})", markup=False, highlight=False)
