"""Trends pictures, instant alerts and personal digests through the console adapter (SQLite)."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PIL import Image
from rich.console import Console

from bot.app import build_app
from bot.charts import HEIGHT, WIDTH
from bot.console_app.publisher import ConsolePublisher
from bot.console_app.repl import run_repl
from bot.settings import Settings
from digest.clock import FixedClock
from digest.models import Interest, InterestKind, Paper, Platform
from digest.parsers import parse
from digest.ranking.ranker import interest_key
from digest.sources.feed import FileSource
from digest.trends import build_trends, match_papers
from tests.test_console_end_to_end import scripted

FIXTURES = Path(__file__).resolve().parent / "fixtures"
LISTING = FIXTURES / "trends_listing.jsonl"
NOW = datetime(2026, 6, 12, 9, 0, tzinfo=UTC)


def _settings(tmp_path: Path, **extra: object) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'b.db'}",
        embedder="none",
        charts_dir=tmp_path / "charts",
        _env_file=None,
        **extra,  # type: ignore[arg-type]
    )


async def test_trends_picture_counts_the_stored_matches(tmp_path: Path) -> None:
    clock = FixedClock(NOW)
    out = io.StringIO()
    console = Console(file=out, width=200, force_terminal=False)
    async with build_app(_settings(tmp_path), clock=clock) as app:
        await run_repl(
            app.handlers,
            console,
            read_line=scripted(
                ["/papers interests add diffusion policy", "/papers interests add RLHF", "quit"]
            ),
            charts_dir=tmp_path / "charts",
        )
        await app.ingest.ingest([FileSource(LISTING)], NOW.date())
        await app.after_ingest()  # the matches are recorded once, as papers arrive
        channel = app.repository.ensure_channel(Platform.CONSOLE, "local", "console")
        assert channel.id is not None
        stored = app.repository.list_matches(channel.id, since=NOW.date() - timedelta(weeks=40))
        await run_repl(
            app.handlers,
            console,
            read_line=scripted(["/papers trends", "/papers trends 4", "/papers trends 99", "quit"]),
            charts_dir=tmp_path / "charts",
        )
    # The same counts as the pure core computes over the listing itself.
    papers = parse(LISTING.read_bytes(), "auto")
    interests = [Interest(kind=InterestKind.QUERY, text=t) for t in ("diffusion policy", "RLHF")]
    expected = build_trends(
        match_papers(papers, interests, min_score=0.25),
        {p.key: p for p in papers},
        interests=[interest_key(i) for i in interests],
        today=NOW.date(),
        weeks=8,
    )
    assert len(stored) == sum(len(s) for s in _matched_keys(papers, interests).values())
    text = out.getvalue()
    for series in expected.series:
        counts = " ".join(str(c) for c in series.counts)
        assert f"{series.label}: {counts} (total {sum(series.counts)})" in text
    assert sum(expected.series[0].counts) > 0
    assert "Emerging: " in text and "test-time scaling" in text
    assert "give a number of weeks from 1 to 52" in text
    pictures = sorted((tmp_path / "charts").glob("*.png"))
    assert pictures and f"Trends picture: {pictures[0]}" in text
    with Image.open(pictures[0]) as image:
        assert image.format == "PNG" and image.size == (WIDTH, HEIGHT)
        assert WIDTH >= 1200 and HEIGHT >= 700


def _matched_keys(papers: list[Paper], interests: list[Interest]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for match in match_papers(papers, interests, min_score=0.25):
        found.setdefault(match.interest, set()).add(match.paper_key)
    return found


async def test_instant_alerts_once_capped_and_kept_out_of_the_digest(tmp_path: Path) -> None:
    clock = FixedClock(NOW)
    out = io.StringIO()
    console = Console(file=out, width=200, force_terminal=False)
    async with build_app(_settings(tmp_path, alerts_per_day=3), clock=clock) as app:
        await run_repl(
            app.handlers,
            console,
            read_line=scripted(['/papers follow author:"LeCun, Yann" --instant', "quit"]),
        )
        assert "Instant: each new matching paper is posted" in out.getvalue()
        clock.advance(timedelta(minutes=1))
        await app.ingest.ingest([FileSource(LISTING)], NOW.date())
        assert await app.after_ingest() == 3  # capped: 3 of the day's papers by Y. LeCun
        assert await app.after_ingest() == 0  # asked again: nothing is queued twice
        publisher = ConsolePublisher(console)
        await app.outbox.drain({Platform.CONSOLE: publisher}, limit=10)
        alerts = [d for d in publisher.sent if d.kind == "alert"]
        assert len(alerts) == 3
        assert all("Y. LeCun" in d.items[0].paper.authors for d in alerts)
        assert out.getvalue().count("New paper: ") == 3
        channel = app.repository.ensure_channel(Platform.CONSOLE, "local", "console")
        alerted = {d.items[0].paper.key for d in alerts}
        digest = app.digests.compose(channel)
        assert not alerted & {i.paper.key for i in digest.items}
        # The next day: papers over yesterday's cap waited for the digest (an alert is news
        # or nothing); a new paper alerts, the cap counting afresh.
        clock.advance(timedelta(days=1))
        assert await app.after_ingest() == 0
        fresh = Paper(title="Energy-Based Models Revisited", authors=("Yann Le Cun",), id="x1")
        app.repository.upsert_papers([fresh.replace(authors=("Yann LeCun",))], clock.now())
        assert await app.after_ingest() == 1
        assert app.repository.count_runs(channel.id or 0, kind="alert", since=NOW) == 4


async def test_personal_digest_by_direct_message_with_dedupe(tmp_path: Path) -> None:
    clock = FixedClock(NOW)
    out = io.StringIO()
    console = Console(file=out, width=200, force_terminal=False)
    async with build_app(_settings(tmp_path), clock=clock) as app:
        await app.ingest.ingest([FileSource(LISTING)], NOW.date())
        await run_repl(
            app.handlers,
            console,
            read_line=scripted(
                [
                    "/papers interests add diffusion policy",
                    "/papers size 3",
                    "/papers digest now",
                    "/papers me interests add diffusion policy",
                    "/papers me size 3",
                    "/papers me dedupe on",
                    "/papers me digest now",
                    "/papers me search robots",
                    "quit",
                ]
            ),
        )
        channel = app.repository.ensure_channel(Platform.CONSOLE, "local", "console")
        mine = app.repository.ensure_channel(Platform.CONSOLE, "local", "user:you")
        assert channel.id is not None and mine.id is not None
        assert [i.text for i in app.repository.list_interests(mine.id)] == ["diffusion policy"]
        assert mine.dedupe
        shared = {d.paper_key for d in app.repository.list_deliveries(channel.id)}
        personal = {d.paper_key for d in app.repository.list_deliveries(mine.id)}
    text = out.getvalue()
    assert "(direct message to you)" in text
    assert len(shared) == 3 and personal
    assert not shared & personal  # never the same paper twice in a day
    assert "`search` is for channels" in text
    assert re.search(r"Your digest now leaves out papers", text)


async def test_a_personal_digest_sent_first_leaves_the_channel_digest_its_papers(
    tmp_path: Path,
) -> None:
    """Dedupe both ways: the person's digest goes out before the channel's (due at 17:00 the
    same day), and still no paper reaches the person twice that day."""
    clock = FixedClock(NOW)
    console = Console(file=io.StringIO(), width=200, force_terminal=False)
    async with build_app(_settings(tmp_path), clock=clock) as app:
        await app.ingest.ingest([FileSource(LISTING)], NOW.date())
        await run_repl(
            app.handlers,
            console,
            read_line=scripted(
                [
                    "/papers interests add diffusion policy",
                    "/papers size 3",
                    "/papers schedule 17:00 UTC daily",
                    "/papers me interests add diffusion policy",
                    "/papers me size 3",
                    "/papers me dedupe on",
                    "/papers me digest now",  # 09:00: the channel's digest is still to come
                    "/papers digest now",  # the channel's, later the same day
                    "quit",
                ]
            ),
        )
        channel = app.repository.ensure_channel(Platform.CONSOLE, "local", "console")
        mine = app.repository.ensure_channel(Platform.CONSOLE, "local", "user:you")
        assert channel.id is not None and mine.id is not None
        shared = {d.paper_key for d in app.repository.list_deliveries(channel.id)}
        personal = {d.paper_key for d in app.repository.list_deliveries(mine.id)}
    assert len(shared) == 3 and personal  # the person got what the channel will not show
    assert not shared & personal
