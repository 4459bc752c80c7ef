"""`paperboy demo`: one day of paperboy on the embedded default, printed to the console.

Live sources first (HF Daily Papers and arXiv); when the network does not answer, the HF
listing pages in ``listings_dir`` (../shared/listings in the developers' checkout), else a
small sample listing shipped with the package.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from rich.console import Console

from bot.app import App
from bot.console_app.publisher import ConsolePublisher
from digest.models import Interest, InterestKind, Platform
from digest.ports import PaperSource
from digest.service import IngestReport
from digest.sources.arxiv import ArxivFeedSource
from digest.sources.feed import FileSource
from digest.sources.hf import HfDailySource

__all__ = ["DEMO_CHANNELS", "DemoResult", "run_demo"]

log = logging.getLogger(__name__)
SAMPLE_LISTING = Path(__file__).parent / "data" / "sample_listing.txt"
DEMO_CHANNELS: dict[str, tuple[str, ...]] = {
    "rl-lab": ("reinforcement learning", "offline RL", "RLHF reward model", "world model"),
    "llm-systems": (
        "LLM inference serving",
        "mixture of experts",
        "efficient transformer training",
    ),
}


@dataclass(frozen=True, kw_only=True, slots=True)
class DemoResult:
    source_used: str
    stored: int
    digests: dict[str, int]


async def _live(app: App) -> tuple[str, IngestReport]:
    today = app.clock.now().date()
    sources: list[PaperSource] = [
        HfDailySource(app.fetcher, base_url=app.settings.hf_base_url, max_pages=1),
        ArxivFeedSource(
            app.fetcher,
            categories=app.settings.arxiv_categories,
            base_url=app.settings.arxiv_feed_url,
        ),
    ]
    report = await app.ingest.ingest(sources, today)
    if not report.counts.new and "hf-daily" not in report.failed:
        # HF lists nothing on some days (weekends): yesterday's list is the freshest.
        report = await app.ingest.ingest(sources[:1], today - timedelta(days=1))
    names = [r.source for r in report.sources if r.status != "failed" and r.fetched]
    return "live: " + ", ".join(names), report


def _listing_files(listings_dir: Path | None) -> list[Path]:
    return sorted(listings_dir.glob("*.txt")) if listings_dir and listings_dir.is_dir() else []


async def _offline(app: App, listings_dir: Path | None) -> tuple[str, IngestReport]:
    files = _listing_files(listings_dir)
    if files:
        label = f"offline: {len(files)} listing pages in {listings_dir}"
    else:
        files, label = [SAMPLE_LISTING], "offline: the bundled sample listing"
    report = await app.ingest.ingest([FileSource(f) for f in files], app.clock.now().date())
    return label, report


async def run_demo(
    app: App, console: Console, *, listings_dir: Path | None, offline: bool = False
) -> DemoResult:
    label, report = ("", None)
    if not offline:
        console.print("Fetching today's papers from Hugging Face and arXiv…", style="dim")
        label, report = await _live(app)
        for failure in report.sources:
            if failure.status == "failed":
                console.print(f"  {failure.source} unavailable: {failure.error}", style="yellow")
    if report is None or not app.repository.count_papers():
        label, report = await _offline(app, listings_dir)
    console.print(
        f"Source used — {label}; {app.repository.count_papers()} papers stored.", style="bold"
    )
    publisher = ConsolePublisher(console)
    sizes: dict[str, int] = {}
    for name, interests in DEMO_CHANNELS.items():
        channel = app.repository.ensure_channel(Platform.CONSOLE, "demo", name, name=name)
        assert channel.id is not None
        if not app.repository.list_interests(channel.id):
            for text in interests:
                app.repository.add_interest(
                    channel.id,
                    Interest(
                        kind=InterestKind.QUERY,
                        text=text,
                        added_by="demo",
                        added_at=app.clock.now(),
                    ),
                )
        console.print(f"\n#{name} follows: {', '.join(interests)}", style="bold")
        digest = app.digests.compose(channel, failed_sources=report.failed)
        result = await app.outbox.deliver(digest, publisher)
        sizes[name] = result.sent
    return DemoResult(source_used=label, stored=app.repository.count_papers(), digests=sizes)
