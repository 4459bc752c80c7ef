"""APScheduler wiring (the only module that imports it): hourly ingest, per-channel digests."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.app import App
from bot.leader import LeaderLock
from bot.metrics import Metrics
from digest.errors import DeliveryRefused
from digest.models import Channel, Platform
from digest.ports import Publisher
from digest.schedule import is_due

__all__ = ["DigestScheduler"]

log = logging.getLogger(__name__)


class DigestScheduler:
    """Ingests every hour and posts each channel's digest at its own time.

    A missed run (the process was down at the scheduled time) is caught by ``catch_up``,
    which runs on start and every few minutes: a channel due today and not yet served gets
    its digest once.
    """

    def __init__(
        self,
        app: App,
        publishers: Mapping[Platform, Publisher],
        *,
        metrics: Metrics | None = None,
        ingest_every: timedelta = timedelta(hours=1),
        concurrency: int = 8,
        leader: LeaderLock | None = None,
    ) -> None:
        self._app = app
        self._publishers = publishers
        self._metrics = metrics
        self._ingest_every = ingest_every
        self._concurrency = concurrency
        self._leader = leader or LeaderLock(app.engine)
        self._leading = False
        self._ingest_lock = asyncio.Lock()
        self._last_ingest: datetime | None = None
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        self._failed_sources: tuple[str, ...] = ()

    def start(self) -> None:
        now = self._app.clock.now()
        # Each runs once at start, then on its interval; never two copies at once.
        for job, every, name in (
            (self.ingest, timedelta(hours=1), "ingest"),
            (self.catch_up, timedelta(minutes=5), "catch-up"),
            (self.elect, timedelta(seconds=5), "elect"),
        ):
            self._scheduler.add_job(
                job,
                IntervalTrigger(seconds=every.total_seconds()),
                id=name,
                next_run_time=now,
                coalesce=True,
                max_instances=1,
            )
        self.sync_channels()
        self._scheduler.start()

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        self._leader.release()

    async def elect(self) -> None:
        """Several replicas may run; only the leader ingests and posts."""
        leading = await asyncio.to_thread(self._leader.is_leader)
        if leading and not self._leading:
            self._leading = True
            await self.catch_up()  # a new leader finishes what the old one left at once
        self._leading = leading

    @property
    def leading(self) -> bool:
        return self._leading

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    def sync_channels(self) -> None:
        """One cron job per channel, replaced when its schedule changes."""
        for channel in self._app.repository.list_channels():
            if channel.platform not in self._publishers or channel.id is None:
                continue
            schedule = channel.schedule
            hour, minute = schedule.time.split(":")
            trigger = CronTrigger(
                day_of_week=",".join(schedule.days),
                hour=hour,
                minute=minute,
                timezone=schedule.timezone,
            )
            self._scheduler.add_job(
                self.digest_for,
                trigger,
                args=[channel.id],
                id=f"digest-{channel.id}",
                replace_existing=True,
                misfire_grace_time=3600,
                coalesce=True,
                max_instances=1,
            )

    async def ingest(self) -> None:
        if not self._leading:
            return
        report = await self._app.ingest_today()
        self._failed_sources = report.failed  # type: ignore[attr-defined]
        self._last_ingest = self._app.clock.now()

    async def catch_up(self) -> None:
        """Finish digests a crash interrupted, then send any digest that is due: channels
        in parallel, at most ``concurrency`` at a time per platform, so one slow or failing
        channel never holds up the others (the platform clients pace each channel)."""
        if not self._leading:
            return
        self.sync_channels()
        limits = {platform: asyncio.Semaphore(self._concurrency) for platform in self._publishers}

        async def one(channel: Channel) -> None:
            assert channel.id is not None
            async with limits[channel.platform]:
                try:
                    await self._app.digests.reconcile(channel, self._publishers[channel.platform])
                except Exception:
                    log.exception("reconciling failed", extra={"channel": channel.address})
                    return
                await self.digest_for(channel.id)

        channels = [
            c
            for c in self._app.repository.list_channels()
            if c.id is not None and c.platform in self._publishers
        ]
        await asyncio.gather(*(one(c) for c in channels))

    async def digest_for(self, channel_id: int) -> None:
        if not self._leading:
            return
        channel = self._app.repository.get_channel(channel_id)
        if channel is None or channel.paused:
            return
        last = self._app.repository.last_run(channel_id)
        now = self._app.clock.now()
        if not is_due(channel.schedule, last, now):
            return
        async with self._ingest_lock:  # one ingest for the many channels due together
            if self._last_ingest is None or now - self._last_ingest > self._ingest_every:
                await self.ingest()  # fresh papers before a digest goes out
        await self._send(channel)

    async def _send(self, channel: Channel) -> None:
        started = time.perf_counter()
        digest = self._app.digests.compose(channel, failed_sources=self._failed_sources)
        if self._metrics:
            self._metrics.ranking.observe(time.perf_counter() - started)
        if digest.is_empty and not channel.quiet_day_message:
            return
        platform = str(channel.platform)
        try:
            await self._app.digests.deliver(digest, self._publishers[channel.platform])
        except DeliveryRefused as refused:
            if self._metrics:
                self._metrics.deliveries_failed.labels(platform, refused.reason[:60]).inc()
        except Exception:
            log.exception("digest delivery failed", extra={"channel": channel.address})
            if self._metrics:
                self._metrics.deliveries_failed.labels(platform, "error").inc()
        else:
            if self._metrics:
                self._metrics.digests_sent.labels(platform).inc()
