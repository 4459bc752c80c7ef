"""Delivery through an outbox: digests are recorded first, then claimed and sent exactly once.

The policy, in order:

1. ``enqueue`` records a run (its papers, scores and reasons) and one delivery row per paper
   in one place, the database, before anything is sent. A paper has at most one delivery per
   channel ever (a unique constraint), so no two runs can both send it.
2. A sender ``claim``s queued runs: the database hands each run to one sender at a time
   (``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL) with a lease that the sender renews
   while it works. Every claim counts one attempt.
3. The sender publishes the run, every message tagged ``run-<id>``, and settles it (sent, with
   the platform's message id). A refusal (channel archived, bot removed) settles it as failed
   and pauses the channel; any other error gives the run back to be retried later.
4. A sender that dies (kill -9, a lost machine) stops renewing; its lease runs out and another
   sender claims the run. Because that run was attempted before, the new sender first asks
   the platform which of its papers already arrived under the tag (Slack message metadata,
   Discord's recent messages and their buttons) and sends only the rest. Nothing is guessed,
   nothing is sent twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from digest.compose import Digest
from digest.errors import DeliveryRefused
from digest.models import Channel, DigestItem, DigestRun, Paper, Platform, RunItem
from digest.ports import (
    QUIET_DIGEST_ARRIVED,
    Clock,
    Delivery,
    Publisher,
    Repository,
    RunEvent,
    Settlement,
)
from digest.ratelimits import tally_rate_limits
from digest.trends import Trends

__all__ = ["Outbox", "Outcome", "SendResult"]

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
_CLAIM_EVERY = 0.25  # seconds between claims while sends are in flight
_SETTLE_EVERY = 0.2  # seconds between batches of settlements


class Outcome(StrEnum):
    SENT = "sent"
    REFUSED = "refused"  # permanent: the channel is paused with the reason
    RETRY = "retry"  # transient: the run goes back to the queue
    GAVE_UP = "gave_up"  # transient too many times: the run fails, its papers stay unsent


@dataclass(frozen=True, slots=True)
class SendResult:
    run_id: int
    channel_id: int
    platform: str
    outcome: Outcome
    sent: int = 0
    reason: str | None = None


class Outbox:
    """Records digests, and sends queued runs claimed under this process's ``owner`` name."""

    def __init__(
        self,
        repository: Repository,
        clock: Clock,
        *,
        owner: str,
        lease: timedelta = timedelta(seconds=60),
        on_result: Callable[[SendResult], None] | None = None,
        trends_for: Callable[[Channel, datetime], Trends] | None = None,
    ) -> None:
        self._repository = repository
        self._clock = clock
        self._owner = owner
        self._lease = lease
        self._on_result = on_result
        # A "trends" run's picture, built from stored matches as of the run's start (so a
        # retry after a crash posts the same picture).
        self._trends_for = trends_for
        self._holding: set[int] = set()
        self._renewer: asyncio.Task[None] | None = None
        self._unlogged: list[RunEvent] = []  # the delivery log's events of a fan-out

    @property
    def owner(self) -> str:
        return self._owner

    # recording ----------------------------------------------------------------------------
    def enqueue(self, digest: Digest, *, claim: bool = False) -> DigestRun:
        """Records the run and its deliveries. With ``claim`` this sender holds it already
        (to send it right away); otherwise any sender may claim it."""
        channel = digest.channel
        assert channel.id is not None and not digest.preview
        now = self._clock.now()
        run = self._repository.start_run(
            DigestRun(
                channel_id=channel.id,
                started_at=now,
                scanned=digest.scanned,
                failed_sources=digest.failed_sources,
                note=digest.note,
                items=tuple(
                    RunItem(paper_key=i.paper.key, score=i.score, why=i.why, tldr=i.tldr)
                    for i in digest.items
                ),
                claimed_by=self._owner if claim else None,
                lease_until=now + self._lease if claim else None,
                attempts=1 if claim else 0,
                kind=digest.kind,
            ),
            # In the run's own transaction: a run whose deliveries a crash had kept from the
            # database would be settled as "nothing left to send", and its digest lost.
            paper_keys=[i.paper.key for i in digest.items],
        )
        assert run.id is not None
        return run

    async def deliver(self, digest: Digest, publisher: Publisher) -> SendResult:
        """Records and sends one digest now (``/papers now``, the demo)."""
        run = self.enqueue(digest, claim=True)
        return await self.send(run, publisher)

    def release_own_claims(self) -> int:
        """On start: whatever an earlier life of this sender held is free to claim again."""
        return self._repository.release_claims(self._owner)

    # sending ------------------------------------------------------------------------------
    async def drain(self, publishers: Mapping[Platform, Publisher], *, limit: int) -> int:
        """Claims and sends queued runs, at most ``limit`` at once, until none is left.

        Channels go in parallel so that one slow or rate-limited channel never holds up the
        others; the publishers pace the messages of each channel. Returns the runs handled.
        """
        handled = 0
        in_flight: set[asyncio.Task[SendResult | None]] = set()
        # Read once per fan-out: a morning's digests share most of their papers, and the
        # channels and pending papers of a batch of claims come in one query each.
        papers: dict[str, Paper] = {}
        channels: dict[int, Channel] = {}
        # Sent runs are settled in batches: until then their lease keeps them ours, and a
        # crash in between only means the next sender asks the platform, finds them
        # arrived, and settles them itself.
        settled: list[Settlement] = []
        last_claim = last_flush = -math.inf
        loop = asyncio.get_running_loop()
        while True:
            room = limit - len(in_flight)
            claimed: list[DigestRun] = []
            if room > 0 and (not in_flight or loop.time() - last_claim >= _CLAIM_EVERY):
                last_claim = loop.time()
                claimed = self._repository.claim_runs(
                    self._owner, now=self._clock.now(), lease=self._lease, limit=room
                )
            if claimed:
                unknown = list({r.channel_id for r in claimed} - channels.keys())
                channels.update(self._repository.get_channels(unknown) if unknown else {})
                pending = self._repository.pending_keys([r.id for r in claimed if r.id])
                for run in claimed:
                    task = self._send_claimed(
                        run, publishers, papers, channels, pending.get(run.id or 0, set()), settled
                    )
                    in_flight.add(asyncio.create_task(task))
            flush = settled or self._unlogged
            if flush and (not in_flight or loop.time() - last_flush >= _SETTLE_EVERY):
                last_flush = loop.time()
                if settled:
                    self._repository.settle_runs(settled)
                    settled.clear()
                events, self._unlogged = self._unlogged, []
                self._record_events(events)
            if not in_flight:
                return handled
            # Wake on a finished send, or after a moment to look for newly queued runs.
            done, in_flight = await asyncio.wait(
                in_flight, timeout=_SETTLE_EVERY, return_when=asyncio.FIRST_COMPLETED
            )
            handled += len(done)

    async def _send_claimed(
        self,
        run: DigestRun,
        publishers: Mapping[Platform, Publisher],
        papers: dict[str, Paper],
        channels: dict[int, Channel],
        pending: set[str],
        settled: list[Settlement],
    ) -> SendResult | None:
        channel = channels.get(run.channel_id)  # drain() read the batch's channels
        assert run.id is not None
        if channel is None:  # removed since the digest was composed
            self._repository.settle_run(run.id, status="failed", picked=0)
            return self._report(run, "unknown", Outcome.REFUSED, reason="channel removed")
        publisher = publishers.get(channel.platform)
        if publisher is None:
            # Another replica serves this platform: hand the run back for it.
            self._repository.release_run(
                run.id,
                self._owner,
                retry_at=self._clock.now() + self._lease,
            )
            return None
        try:
            return await self.send(
                run,
                publisher,
                channel=channel,
                papers=papers,
                pending=pending,
                settle_later=settled.append,
            )
        except Exception:  # send() settles or releases the run; keep the other channels going
            log.exception("sending a digest failed", extra={"run": run.id})
            return None

    async def send(
        self,
        run: DigestRun,
        publisher: Publisher,
        *,
        channel: Channel | None = None,
        papers: dict[str, Paper] | None = None,
        pending: set[str] | None = None,
        settle_later: Callable[[Settlement], None] | None = None,
    ) -> SendResult:
        """``_send``, and the delivery log's events: the outcome and any 429s waited."""
        with tally_rate_limits() as waits:
            result = await self._send(
                run,
                publisher,
                channel=channel,
                papers=papers,
                pending=pending,
                settle_later=settle_later,
            )
        now = self._clock.now()
        detail = f"{result.sent} papers" if result.outcome is Outcome.SENT else result.reason
        events = [
            RunEvent(run_id=result.run_id, at=now, kind="rate_limited", detail=d, waited=w)
            for w, d in waits
        ]
        events.append(
            RunEvent(run_id=result.run_id, at=now, kind=str(result.outcome), detail=detail)
        )
        if settle_later is not None:
            self._unlogged.extend(events)  # drain() records them with its settlements
        else:
            self._record_events(events)
        return result

    def _record_events(self, events: list[RunEvent]) -> None:
        try:
            self._repository.record_run_events(events)
        except Exception:  # the delivery log loses them, the delivery nothing
            log.exception("could not record the delivery log's events")

    async def _send(
        self,
        run: DigestRun,
        publisher: Publisher,
        *,
        channel: Channel | None = None,
        papers: dict[str, Paper] | None = None,
        pending: set[str] | None = None,
        settle_later: Callable[[Settlement], None] | None = None,
    ) -> SendResult:
        """Sends a run this sender holds, and settles or releases it.

        A fan-out passes what it read for many runs at once: ``papers`` (a cache), the run's
        ``pending`` papers, and ``settle_later`` to settle sent runs in batches."""
        assert run.id is not None
        channel = channel or self._repository.get_channel(run.channel_id)
        if channel is None:  # the channel was removed since
            self._repository.settle_run(run.id, status="failed", picked=0)
            return self._report(run, "unknown", Outcome.REFUSED, reason="channel removed")
        if channel.paused:
            # Paused since the digest was composed: its papers wait for the channel's return.
            self._repository.settle_run(run.id, status="failed", picked=0)
            return self._report(run, str(channel.platform), Outcome.REFUSED, reason="paused")
        deliveries: dict[str, Delivery] = {}
        if pending is None or run.attempts > 1:  # a retry reconciles delivery by delivery
            deliveries = {
                d.paper_key: d
                for d in self._repository.list_deliveries(run.channel_id, run_id=run.id)
                if d.status == "pending"
            }
            pending = set(deliveries)
        papers = {} if papers is None else papers
        missing = [i.paper_key for i in run.items if i.paper_key not in papers]
        papers.update(self._repository.get_papers(missing) if missing else {})
        items = tuple(
            DigestItem(paper=papers[i.paper_key], score=i.score, why=i.why, tldr=i.tldr)
            for i in run.items
            if i.paper_key in pending and i.paper_key in papers
        )
        if run.items and not items:
            # Nothing of it is left to send (another run took its papers): never post an
            # empty digest in its place.
            self._repository.settle_run(run.id, status="sent", picked=0)
            return self._report(run, str(channel.platform), Outcome.SENT)
        trends = None
        if run.kind == "trends":
            if self._trends_for is None:
                self._repository.settle_run(run.id, status="failed", picked=0)
                return self._report(
                    run, str(channel.platform), Outcome.REFUSED, reason="no trends here"
                )
            trends = self._trends_for(channel, run.started_at)
        digest = Digest(
            channel=channel,
            day=run.started_at.astimezone(ZoneInfo(channel.schedule.timezone)).date(),
            items=items,
            scanned=run.scanned,
            failed_sources=run.failed_sources,
            note=run.note,
            kind=run.kind,
            trends=trends,
        )
        tag = f"run-{run.id}"
        platform = str(channel.platform)
        whole = digest
        try:
            async with self._renewing(run.id):
                if run.attempts > 1:  # an earlier claim may have sent part of it: ask, don't guess
                    arrived = await publisher.find_sent(digest, tag)
                    for key in arrived.keys() & pending:
                        pending.discard(key)
                        delivery_id = deliveries[key].id
                        assert delivery_id is not None
                        self._repository.mark_delivery(
                            delivery_id, status="sent", message_id=arrived[key] or None
                        )
                    if arrived:
                        log.info(
                            "reconciled an interrupted digest",
                            extra={
                                "channel": channel.address,
                                "run": run.id,
                                "arrived": len(arrived),
                            },
                        )
                    remaining = tuple(i for i in items if i.paper.key in pending)
                    quiet_day_arrived = not run.items and QUIET_DIGEST_ARRIVED in arrived
                    if (items and not remaining) or quiet_day_arrived:
                        self._repository.settle_run(
                            run.id,
                            status="sent",
                            picked=len(run.items),
                        )
                        return self._report(run, platform, Outcome.SENT)
                    digest = dataclasses.replace(digest, items=remaining)
                started = time.perf_counter()
                messages = await publisher.publish(digest, delivery_tag=tag)
        except DeliveryRefused as refused:
            log.warning(
                "channel refused delivery; pausing it",
                extra={"channel": channel.address, "reason": refused.reason},
            )
            current = self._repository.get_channel(run.channel_id) or channel
            self._repository.save_channel(
                dataclasses.replace(current, paused=True, paused_reason=refused.reason),
            )
            # Nothing arrived: the papers may go out once the channel is resumed.
            self._repository.settle_run(run.id, status="failed", picked=0)
            return self._report(run, platform, Outcome.REFUSED, reason=refused.reason)
        except Exception as exc:
            # Part of it may have arrived: the next claim asks the platform before re-sending.
            if run.attempts >= MAX_ATTEMPTS:
                # What arrived stays sent (never offered again); only the rest is given up.
                arrived = await self._arrived_if_known(publisher, whole, tag)
                for key in arrived.keys() & pending:
                    delivery_id = deliveries[key].id if key in deliveries else None
                    if delivery_id is not None:
                        self._repository.mark_delivery(
                            delivery_id, status="sent", message_id=arrived[key] or None
                        )
                log.error(
                    "giving up on a digest after %d attempts",
                    run.attempts,
                    extra={"channel": channel.address, "run": run.id, "arrived": len(arrived)},
                )
                self._repository.settle_run(run.id, status="failed", picked=0)
                return self._report(run, platform, Outcome.GAVE_UP, reason=type(exc).__name__)
            retry_at = self._clock.now() + timedelta(seconds=min(600, 15 * 2**run.attempts))
            self._repository.release_run(run.id, self._owner, retry_at=retry_at)
            log.warning(
                "digest delivery failed; will retry",
                extra={"channel": channel.address, "run": run.id, "error": repr(exc)},
            )
            return self._report(run, platform, Outcome.RETRY, reason=type(exc).__name__)
        # Every delivery gets the message that shows the most papers; the papers of other
        # messages are named one by one (the single layout's; a long digest's continuation).
        main = max(messages, key=lambda m: len(m.papers)).id if messages else None
        settlement = Settlement(
            run.id,
            "sent",
            len(run.items),
            main,
            tuple((key, m.id) for m in messages if m.id != main for key in m.papers),
        )
        if settle_later is not None:
            settle_later(settlement)
        else:
            self._repository.settle_runs([settlement])
        log.info(
            "digest sent",
            extra={
                "channel": channel.address,
                "run": run.id,
                "papers": len(digest.items),
                "messages": len(messages),
                "seconds": round(time.perf_counter() - started, 3),
            },
        )
        return self._report(run, platform, Outcome.SENT, sent=len(digest.items))

    @staticmethod
    async def _arrived_if_known(publisher: Publisher, digest: Digest, tag: str) -> dict[str, str]:
        """What the platform shows of a digest, or nothing when it cannot be asked."""
        try:
            return await publisher.find_sent(digest, tag)
        except Exception as exc:  # the platform is what keeps failing: log and go on
            log.warning("could not ask what arrived", extra={"tag": tag, "error": repr(exc)})
            return {}

    def _report(
        self,
        run: DigestRun,
        platform: str,
        outcome: Outcome,
        *,
        sent: int = 0,
        reason: str | None = None,
    ) -> SendResult:
        assert run.id is not None
        result = SendResult(run.id, run.channel_id, platform, outcome, sent, reason)
        if self._on_result is not None:
            self._on_result(result)
        return result

    @contextlib.asynccontextmanager
    async def _renewing(self, run_id: int) -> AsyncIterator[None]:
        """Keeps the run's lease alive while this sender works on it (one renewal task for
        all runs in flight, so a thousand channels cost one UPDATE per period)."""
        self._holding.add(run_id)
        if len(self._holding) == 1:
            self._renewer = asyncio.create_task(self._renew_forever())
        try:
            yield
        finally:
            self._holding.discard(run_id)
            if not self._holding and self._renewer is not None:
                self._renewer.cancel()
                self._renewer = None

    async def _renew_forever(self) -> None:
        period = self._lease.total_seconds() / 3
        while self._holding:
            await asyncio.sleep(period)
            held = tuple(self._holding)
            kept = await asyncio.to_thread(
                self._repository.renew_claims,
                self._owner,
                held,
                self._clock.now() + self._lease,
            )
            for lost in set(held) - kept:
                log.error("lost the claim on a run while sending it", extra={"run": lost})
