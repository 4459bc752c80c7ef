"""The `paperboy` command line. Command forms marked "contract" are relied on by other tools."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Coroutine
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from bot.app import App, build_app
from bot.logs import configure_logging
from bot.settings import Settings
from digest.errors import PaperboyError, SourceError
from digest.models import Paper
from digest.parsers import FORMATS, parse
from digest.ports import UpsertCounts
from digest.service import IngestReport
from digest.sources.arxiv import ArxivApiSource, ArxivFeedSource
from digest.sources.feed import FeedSource, FileSource
from digest.sources.hf import HfDailySource

__all__ = ["app", "main"]

app = typer.Typer(
    name="paperboy",
    help="A research-paper digest bot for Slack and Discord.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
_state: dict[str, bool] = {"verbose": False}
err = Console(stderr=True, soft_wrap=True)
log = logging.getLogger("paperboy")

FormatOption = Annotated[
    str, typer.Option("--format", "-f", help=f"auto, or one of: {', '.join(FORMATS)}")
]


def _echo(value: str, limit: int = 60) -> str:
    """A value the user gave, quoted for an error line: long ones cut, so a 10,000-character
    mistake does not come back whole."""
    return repr(value if len(value) <= limit else f"{value[:limit]}…")


def _fail(message: str, code: int = 1) -> typer.Exit:
    # One plain line, never wrapped: scripts read it.
    sys.stderr.write(f"paperboy: {' '.join(message.split())}\n")
    return typer.Exit(code)


def _settings(**overrides: Any) -> Settings:
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise _fail(f"invalid settings: {problems}") from None


def _run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    try:
        return asyncio.run(coroutine)
    except PaperboyError as exc:
        raise _fail(str(exc)) from None


def paper_json(paper: Paper) -> dict[str, Any]:
    """The contract shape of a paper in `parse --json` (extra fields may follow the first eight)."""
    return {
        "id": paper.id,
        "title": paper.title,
        "abstract": paper.abstract,
        "authors": list(paper.authors),
        "published": paper.published.isoformat() if paper.published else None,
        "upvotes": paper.upvotes,
        "url": paper.link,
        "source": paper.sources[0] if paper.sources else None,
        "categories": list(paper.categories),
        "primary_category": paper.primary_category,
        "announce_type": paper.announce_type,
        "pdf_url": paper.pdf_url,
        "code_url": paper.code_url,
        "ai_summary": paper.ai_summary,
        "ai_keywords": list(paper.ai_keywords),
        "author_count": paper.author_count,
        "organization": paper.organization,
    }


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _fail(f"cannot read {path}: {exc.strerror}") from None


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log more")] = False,
) -> None:
    _state["verbose"] = verbose
    configure_logging("DEBUG" if verbose else "WARNING", "text")


@app.command("parse")
def parse_command(
    path: Annotated[Path, typer.Argument(help="A listing file: HF page text, JSON, feed, JSONL")],
    format: FormatOption = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array")] = False,
) -> None:
    """Parse a listing file and print its papers (contract: `parse PATH [--format F] --json`)."""
    if format != "auto" and format not in FORMATS:
        raise _fail(
            f"unknown format {_echo(format)}; choose auto or one of: {', '.join(FORMATS)}", 2
        )
    try:
        papers = parse(_read(path), format, today=date.today())
    except SourceError as exc:
        raise _fail(f"{path}: not a readable listing ({exc.reason})") from None
    if as_json:
        sys.stdout.write(json.dumps([paper_json(p) for p in papers], ensure_ascii=False, indent=1))
        sys.stdout.write("\n")
        return
    table = Table("id", "title", "published", "▲", title=f"{len(papers)} papers in {path.name}")
    for paper in papers:
        table.add_row(
            paper.id or "—",
            paper.title,
            str(paper.published or "—"),
            str(paper.upvotes if paper.upvotes is not None else "—"),
        )
    console.print(table)


def _print_counts(label: str, counts: UpsertCounts) -> None:
    console.print(
        f"{label}: {counts.new} new, {counts.updated} updated, {counts.unchanged} unchanged",
        highlight=False,
        markup=False,
    )


def _print_report(report: IngestReport) -> None:
    for source in report.sources:
        if source.status == "failed":
            err.print(f"{source.source}: failed — {source.error}", style="yellow", markup=False)
        else:
            note = f" ({source.note})" if source.note else ""
            _print_counts(f"{source.source} [{source.status}]{note}", source.counts)
    _print_counts("total", report.counts)


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Listing files to store")],
    format: FormatOption = "auto",
    database: Annotated[str | None, typer.Option(help="Database URL")] = None,
) -> None:
    """Parse listing files and store their papers; prints new / updated / unchanged counts."""
    settings = _settings(database_url=database)

    async def go() -> IngestReport:
        async with build_app(settings) as paperboy:
            reports = []
            with Progress(console=err, transient=True, disable=len(paths) < 3) as progress:
                task = progress.add_task("ingesting", total=len(paths))
                for path in paths:
                    source = FileSource(path, format=format, name=str(path))
                    reports.append(
                        await paperboy.ingest.ingest([source], paperboy.clock.now().date())
                    )
                    progress.advance(task)
            return IngestReport(
                day=reports[0].day, sources=tuple(r for x in reports for r in x.sources)
            )

    report = _run(go())
    _print_report(report)
    if report.failed:
        raise typer.Exit(1)


@app.command()
def fetch(
    source: Annotated[str, typer.Option(help="hf-daily, arxiv-rss, arxiv-api or feed")],
    day: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD (default: today)")] = None,
    categories: Annotated[
        str | None, typer.Option(help="arXiv categories, e.g. cs.LG,cs.AI")
    ] = None,
    url: Annotated[str | None, typer.Option(help="Feed URL for --source feed")] = None,
    database: Annotated[str | None, typer.Option(help="Database URL")] = None,
) -> None:
    """Fetch one source now and store what it lists."""
    try:
        when = date.fromisoformat(day) if day else date.today()
    except ValueError:
        raise _fail(f"--date must be YYYY-MM-DD, not {_echo(day or '')}", 2) from None
    if source == "feed" and not url:
        raise _fail("--source feed needs --url", 2)
    settings = _settings(database_url=database)
    cats = [c.strip() for c in categories.split(",") if c.strip()] if categories else None

    async def go() -> IngestReport:
        async with build_app(settings) as paperboy:
            built = _build_source(paperboy, source, cats, url)
            with Progress(console=err, transient=True) as progress:
                progress.add_task(f"fetching {source}", total=None)
                return await paperboy.ingest.ingest([built], when)

    report = _run(go())
    _print_report(report)
    if report.failed:
        raise typer.Exit(1)


def _build_source(paperboy: App, name: str, cats: list[str] | None, url: str | None) -> Any:
    categories = cats or paperboy.settings.arxiv_categories
    if name == "hf-daily":
        return HfDailySource(paperboy.fetcher, base_url=paperboy.settings.hf_base_url)
    if name == "arxiv-rss":
        return ArxivFeedSource(
            paperboy.fetcher, categories=categories, base_url=paperboy.settings.arxiv_feed_url
        )
    if name == "arxiv-api":
        return ArxivApiSource(paperboy.arxiv_api, categories=categories)
    if name == "feed" and url:
        return FeedSource(paperboy.fetcher, url)
    raise _fail(f"unknown source {_echo(name)}; choose hf-daily, arxiv-rss, arxiv-api or feed", 2)


@app.command()
def demo(
    database: Annotated[str, typer.Option(help="Database URL for the demo (reset each run)")] = (
        "sqlite:///paperboy-demo.db"
    ),
    offline: Annotated[
        bool, typer.Option(help="Skip the network; use the offline fallback")
    ] = False,
    listings: Annotated[Path | None, typer.Option(help="Offline listing pages directory")] = None,
) -> None:
    """Fetch today's papers, make two demo channels, and print each one's digest."""
    from bot.demo import run_demo

    if not _state["verbose"]:
        configure_logging("ERROR", "text")  # the demo reports failing sources itself
    if database.startswith("sqlite:///"):
        Path(database.removeprefix("sqlite:///")).unlink(missing_ok=True)
    settings = _settings(database_url=database, http_timeout=8.0)
    listings_dir = listings or settings.listings_dir or _shared_listings()

    async def go() -> None:
        from digest.sources.http import FetchPolicy

        # One quick attempt per source: offline, the demo must fall back within seconds.
        async with build_app(settings, policy=FetchPolicy(attempts=1)) as paperboy:
            result = await run_demo(paperboy, console, listings_dir=listings_dir, offline=offline)
        console.print(
            f"\nDone: {result.stored} papers stored; digests: "
            + ", ".join(f"#{k} {v} papers" for k, v in result.digests.items()),
            style="bold green",
            highlight=False,
        )

    _run(go())


def _shared_listings() -> Path | None:
    for candidate in (
        Path("../shared/listings"),
        Path(__file__).resolve().parents[2] / "shared" / "listings",
    ):
        if candidate.is_dir():
            return candidate
    return None


@app.command()
def run(
    slack_http: Annotated[bool, typer.Option("--slack-http", help="Serve Slack over HTTP")] = False,
    port: Annotated[int | None, typer.Option(help="HTTP port")] = None,
) -> None:
    """Start paperboy: the scheduler and every configured adapter (console when none is)."""
    from bot.runner import run_forever

    settings = _settings(http_port=port)
    console_only = not (slack_http or settings.slack_enabled or settings.discord_enabled)
    if console_only:
        # Log lines between the prompt and the replies would make both unreadable: the
        # console REPL logs to a file (and to the terminal too only with --verbose).
        log_file = settings.log_file or Path("paperboy.log")
        level = "DEBUG" if _state["verbose"] else settings.log_level
        configure_logging(level, "text", file=log_file, to_stderr=_state["verbose"])
        err.print(f"[dim]Logging to {log_file} (PAPERBOY_LOG_FILE; -v shows the log here).[/]")
    else:
        configure_logging(settings.log_level, settings.log_format, file=settings.log_file)
    _run(run_forever(settings, console, slack_http=slack_http))


@app.command()
def rank(
    papers: Annotated[Path, typer.Option("--papers", help="Any file `paperboy parse` reads")],
    interest: Annotated[list[str], typer.Option("--interest", help="An interest (repeatable)")],
    top: Annotated[int, typer.Option(min=1, help="How many papers to print")] = 10,
    like: Annotated[list[str] | None, typer.Option("--like", help="Id of a liked paper")] = None,
    dislike: Annotated[
        list[str] | None, typer.Option("--dislike", help="Id of a disliked paper")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array")] = False,
    embedder: Annotated[str, typer.Option(help="auto, minilm, hashing or none")] = "auto",
) -> None:
    """Rank a file of papers for some interests (contract: prints id, title, score, why)."""
    from digest.models import Interest, InterestKind
    from digest.ranking.embedding import load_embedder
    from digest.ranking.query import parse_query
    from digest.ranking.ranker import ChannelProfile, HybridRanker, seed_ids

    try:
        parsed = parse(_read(papers), "auto", today=date.today())
    except SourceError as exc:
        raise _fail(f"{papers}: not a readable listing ({exc.reason})") from None
    for text in interest:
        try:
            parse_query(text)
        except PaperboyError as exc:
            raise _fail(f"--interest {_echo(text)}: {exc}", 2) from None
    interests = tuple(Interest(kind=InterestKind.QUERY, text=t) for t in interest)
    seeds = seed_ids(interests)  # like:<id> inside an interest names a paper of the file
    by_id = {p.id: p for p in parsed if p.id}
    unknown = [
        i for i in dict.fromkeys([*(like or []), *(dislike or []), *seeds]) if i not in by_id
    ]
    if unknown:
        raise _fail(f"no paper with id {', '.join(unknown)} in {papers}", 2)
    # Keys must be unique for ranking; papers without any id are keyed by their position.
    keyed = [p.replace(uid=f"{n}:{p.key}") for n, p in enumerate(parsed)]
    lookup = {p.id: p for p in keyed if p.id}
    profile = ChannelProfile(
        interests=interests,
        liked=tuple(lookup[i] for i in like or []),
        disliked=tuple(lookup[i] for i in dislike or []),
        seeds={i: lookup[i] for i in seeds},
    )
    ranker = HybridRanker(load_embedder(embedder))
    voted = {p.key for p in (*profile.liked, *profile.disliked)}
    items = [i for i in ranker.score(keyed, profile) if i.paper.key not in voted][:top]
    rows = [
        {"id": i.paper.id, "title": i.paper.title, "score": i.score, "why": i.why} for i in items
    ]
    if as_json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1) + "\n")
        return
    table = Table("score", "id", "title", "why", title=f"{ranker.name}: {', '.join(interest)}")
    for row in rows:
        table.add_row(
            f"{row['score']:.3f}", str(row["id"] or "—"), str(row["title"]), str(row["why"])
        )
    console.print(table)


discord_cli = typer.Typer(help="Discord maintenance", no_args_is_help=True)
app.add_typer(discord_cli, name="discord")


@discord_cli.command("sync")
def discord_sync(
    guild: Annotated[int | None, typer.Option(help="Sync to one server only (instant)")] = None,
) -> None:
    """Register the /papers commands with Discord (a deliberate step, not done on start)."""
    settings = _settings()
    if settings.discord_token is None or not settings.discord_application_id:
        raise _fail("set PAPERBOY_DISCORD_TOKEN and PAPERBOY_DISCORD_APPLICATION_ID", 2)
    token = settings.discord_token.get_secret_value()

    async def go() -> list[str]:
        import discord

        from bot.discord_app.client import build_discord_client

        async with build_app(settings.model_copy(update={"embedder": "none"})) as paperboy:
            client = build_discord_client(settings, paperboy)
            try:
                await client.login(token)
                target = discord.Object(id=guild) if guild else None
                if target is not None:
                    client.tree.copy_global_to(guild=target)
                synced = await client.tree.sync(guild=target)
            finally:
                await client.close()
            return [c.name for c in synced]

    names = _run(go())
    where = f"server {guild}" if guild else "every server (global commands take up to an hour)"
    console.print(f"Synced /{', /'.join(names)} to {where}.", highlight=False, markup=False)


@app.command()
def backfill(
    since: Annotated[str, typer.Option(help="First day to fetch, YYYY-MM-DD")],
    database: Annotated[str | None, typer.Option(help="Database URL")] = None,
) -> None:
    """Fetch Hugging Face Daily Papers for every day since a date (a new channel's look back)."""
    try:
        first = date.fromisoformat(since)
    except ValueError:
        raise _fail(f"--since must be YYYY-MM-DD, not {_echo(since)}", 2) from None
    today = date.today()
    if first > today or (today - first).days > 366:
        raise _fail("--since must be within the last year", 2)
    settings = _settings(database_url=database)

    async def go() -> IngestReport:
        from datetime import timedelta

        async with build_app(settings) as paperboy:
            source = HfDailySource(paperboy.fetcher, base_url=paperboy.settings.hf_base_url)
            reports = []
            days = [first + timedelta(days=n) for n in range((today - first).days + 1)]
            with Progress(console=err, transient=True) as progress:
                task = progress.add_task("backfilling", total=len(days))
                for day in days:
                    reports.append(await paperboy.ingest.ingest([source], day))
                    progress.advance(task)
            return IngestReport(day=today, sources=tuple(r for x in reports for r in x.sources))

    report = _run(go())
    total = report.counts
    failed = len(report.failed)
    console.print(
        f"backfill since {first}: {total.new} new, {total.updated} updated, "
        f"{total.unchanged} unchanged; {failed} failed days",
        highlight=False,
        markup=False,
    )
    if failed:
        raise typer.Exit(1)


db = typer.Typer(help="Database maintenance", no_args_is_help=True)
app.add_typer(db, name="db")


@db.command("upgrade")
def db_upgrade(database: Annotated[str | None, typer.Option(help="Database URL")] = None) -> None:
    """Apply pending schema migrations (paperboy also does this on every start)."""
    from storage.engine import create_db_engine, describe_url, upgrade_schema

    settings = _settings(database_url=database)
    engine = create_db_engine(settings.database_url)
    upgrade_schema(engine)
    engine.dispose()
    console.print(f"Schema is current on {describe_url(settings.database_url)}", highlight=False)


def main() -> None:
    app()


@app.command()
def summarize(
    reference: Annotated[str, typer.Argument(help="arXiv id, arXiv/HF link, DOI or title words")],
    papers: Annotated[
        Path | None, typer.Option("--papers", help="Local papers to look in first")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Summarise one paper (contract: prints id, title, tldr, points, summariser, url)."""
    settings = _settings(database_url="sqlite://", embedder="none")
    local: list[Paper] = []
    if papers is not None:
        try:
            local = parse(_read(papers), "auto", today=date.today())
        except SourceError as exc:
            raise _fail(f"{papers}: not a readable listing ({exc.reason})") from None

    async def go() -> tuple[Any, Any]:
        async with build_app(settings) as paperboy:
            resolution = await paperboy.summaries.resolve(reference, local)
            if resolution.paper is None:
                return None, resolution.candidates
            return await paperboy.summaries.summarise(resolution.paper), ()

    summary, candidates = _run(go())
    if summary is None:
        listed = "; ".join(f"{p.id or '?'} “{p.title}”" for p in candidates)
        raise _fail(f"several papers match, say which: {listed}", 3)
    if as_json:
        sys.stdout.write(json.dumps(summary.contract(), ensure_ascii=False, indent=1) + "\n")
        return
    console.print(summary.title, style="bold", markup=False, highlight=False)
    console.print(f"TL;DR: {summary.tldr}", markup=False, highlight=False)
    for point in summary.points:
        console.print(f" • {point}", markup=False, highlight=False)
    console.print(
        f"({summary.summariser}{'; ' + summary.note if summary.note else ''})",
        style="dim",
        markup=False,
        highlight=False,
    )
