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
from digest.models import Platform
from digest.ports import Publisher
from digest.schedule import is_due

__all__ = ["DigestScheduler"]

log = logging.getLogger(__name__)


class DigestScheduler:
    """Ingests every hour, composes each channel's digest at its own time, and sends.

    Composing is the leader's job (one replica at a time, see ``LeaderLock``); sending is
    every replica's: each claims queued runs from the outbox (``digest.outbox``), so a dead
    replica's deliveries are finished by the others. A missed run (the process was down at
    the scheduled time) is caught by ``catch_up``, which runs on start and every few
    minutes: a channel due today and not yet served gets its digest once.
    """

    def __init__(
        self,
        app: App,
        publishers: Mapping[Platform, Publisher],
        *,
        metrics: Metrics | None = None,
        ingest_every: timedelta = timedelta(hours=1),
        concurrency: int = 200,
        send_every: timedelta = timedelta(seconds=2),
        leader: LeaderLock | None = None,
    ) -> None:
        self._app = app
        self._publishers = publishers
        self._metrics = metrics
        self._ingest_every = ingest_every
        self._concurrency = concurrency
        self._send_every = send_every
        self._leader = leader or LeaderLock(app.engine)
        self._leading = False
        self._ingest_lock = asyncio.Lock()
        self._last_ingest: datetime | None = None
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        self._failed_sources: tuple[str, ...] = ()
        self._send_lock = asyncio.Lock()
        self._catch_up_lock = asyncio.Lock()
        self._catching_up: asyncio.Task[None] | None = None
        # What the channels' cron jobs were last built from: the channels' revision, and
        # each channel's (time, days, time zone), so only changed schedules are replaced.
        self._synced_revision: int | None = None
        self._synced: dict[int, tuple[str, tuple[str, ...], str]] = {}

    def start(self) -> None:
        now = self._app.clock.now()
        # Whatever this replica held before a restart is its own to finish, at once.
        released = self._app.outbox.release_own_claims()
        if released:
            log.info("taking back digests held before a restart", extra={"runs": released})
        # Each runs once at start, then on its interval; never two copies at once.
        for job, every, name in (
            (self.ingest, self._ingest_every, "ingest"),
            (self.catch_up, timedelta(minutes=5), "catch-up"),
            (self.elect, timedelta(seconds=5), "elect"),
            (self.send_queued, self._send_every, "send"),
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
        if self._catching_up is not None:
            self._catching_up.cancel()
        self._leader.release()

    async def elect(self) -> None:
        """Several replicas may run; only the leader ingests and composes.

        A new leader composes what the old one had not, at once, but beside this check, not
        inside it: composing a thousand digests takes a while, and leadership must still be
        re-checked every few seconds meanwhile (and the check not pile up as skipped runs).
        """
        leading = await asyncio.to_thread(self._leader.is_leader)
        became_leader = leading and not self._leading
        self._leading = leading
        if became_leader:
            self._catching_up = asyncio.create_task(self.catch_up(), name="catch-up")
            self._catching_up.add_done_callback(_log_failure)
        elif leading:
            await self.follow_schedules()

    async def follow_schedules(self) -> None:
        """A schedule changed on any replica is this leader's within one election tick: a
        person who sets 09:00 at 08:58 gets the digest at 09:00, not at the next catch-up."""
        revision = await asyncio.to_thread(self._app.repository.channels_revision)
        if revision != self._synced_revision:
            self.sync_channels(revision)

    async def settle(self) -> None:
        """Waits for the catch-up an election started, if any (it re-raises its error)."""
        if self._catching_up is not None:
            await self._catching_up

    @property
    def leading(self) -> bool:
        return self._leading

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    def sync_channels(self, revision: int | None = None) -> None:
        """One cron job per channel, replaced only when its schedule changed."""
        if revision is None:
            revision = self._app.repository.channels_revision()
        changed = 0
        for channel in self._app.repository.list_channels():
            if channel.platform not in self._publishers or channel.id is None:
                continue
            schedule = channel.schedule
            wanted = (schedule.time, tuple(schedule.days), schedule.timezone)
            if self._synced.get(channel.id) == wanted:
                continue  # replacing an unchanged job could drop a firing due this instant
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
            if channel.id in self._synced:
                log.info(
                    "schedule changed",
                    extra={"channel": channel.address, "schedule": schedule.describe()},
                )
            self._synced[channel.id] = wanted
            changed += 1
        self._synced_revision = revision
        log.debug("channel schedules synced", extra={"changed": changed, "revision": revision})

    def next_digest_at(self, channel_id: int, after: datetime) -> datetime | None:
        """When the channel's cron job fires next after ``after`` (None: it has no job)."""
        job = self._scheduler.get_job(f"digest-{channel_id}")
        if job is None:
            return None
        fire: datetime | None = job.trigger.get_next_fire_time(None, after)
        return fire

    async def ingest(self) -> None:
        if not self._leading:
            return
        report = await self._app.ingest_today()
        self._failed_sources = report.failed
        self._last_ingest = self._app.clock.now()

    async def catch_up(self) -> None:
        """Compose every digest that is due and not yet served today, then send.

        One at a time: one that finds another under way leaves the work to it."""
        if not self._leading or self._catch_up_lock.locked():
            return
        async with self._catch_up_lock:
            self.sync_channels()
            for channel in self._app.repository.list_channels():
                if channel.id is not None and channel.platform in self._publishers:
                    await self.digest_for(channel.id, send=False)
            await self.send_queued()

    async def digest_for(self, channel_id: int, *, send: bool = True) -> None:
        """Composes the channel's digest into the outbox if it is due."""
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
        started = time.perf_counter()
        # Ranking may wait for the model (a worker starting): keep the event loop answering.
        digest = await asyncio.to_thread(
            self._app.digests.compose, channel, failed_sources=self._failed_sources
        )
        seconds = time.perf_counter() - started
        if self._metrics:
            self._metrics.ranking.observe(seconds)
        log.info(
            "digest composed",
            extra={
                "channel": channel.address,
                "papers": len(digest.items),
                "scanned": digest.scanned,
                "seconds": round(seconds, 3),
            },
        )
        if digest.is_empty and not channel.quiet_day_message:
            return
        self._app.outbox.enqueue(digest)
        if send:
            await self.send_queued()

    async def send_queued(self) -> None:
        """Claims queued digests (this replica's share) and sends them, channels in parallel.

        One sender per process: when one is already draining, it picks new runs up itself.
        """
        if self._send_lock.locked():
            return
        async with self._send_lock:
            try:
                await self._app.outbox.drain(self._publishers, limit=self._concurrency)
            except Exception:  # the database may be away for a moment; the next tick retries
                log.exception("sending queued digests failed")


def _log_failure(task: asyncio.Task[None]) -> None:
    """A task's exception is otherwise reported only when it is garbage-collected, if ever."""
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("catching up after the election failed", exc_info=error)
