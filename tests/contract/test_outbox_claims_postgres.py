"""Claiming queued digests on PostgreSQL: concurrent senders never get the same run."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, text

from digest.models import DigestRun, Platform
from storage.engine import upgrade_schema
from storage.sql import SqlRepository

T0 = datetime(2026, 6, 12, 8, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


def _queue(repository: SqlRepository, count: int) -> list[int]:
    ids = []
    for n in range(count):
        channel = repository.ensure_channel(Platform.SLACK, "T1", f"C{n}")
        assert channel.id is not None
        run = repository.start_run(DigestRun(channel_id=channel.id, started_at=T0))
        assert run.id is not None
        ids.append(run.id)
    return ids


def test_a_claim_skips_runs_another_sender_is_locking(postgres_engine: Engine) -> None:
    upgrade_schema(postgres_engine)
    repository = SqlRepository(postgres_engine)
    ids = _queue(repository, 4)
    with postgres_engine.connect() as other:
        # Another replica is in the middle of claiming the two oldest runs.
        other.execute(
            text("SELECT id FROM digest_runs WHERE id IN (:a, :b) FOR UPDATE"),
            {"a": ids[0], "b": ids[1]},
        )
        claimed = repository.claim_runs("me", now=T0, lease=LEASE, limit=4)
        # Without SKIP LOCKED this call would have waited for the other transaction.
        assert [r.id for r in claimed] == ids[2:]
        other.rollback()
    assert [r.id for r in repository.claim_runs("me", now=T0, lease=LEASE, limit=4)] == ids[:2]


def test_concurrent_senders_claim_disjoint_runs(postgres_engine: Engine) -> None:
    upgrade_schema(postgres_engine)
    repository = SqlRepository(postgres_engine)
    ids = _queue(repository, 120)
    claims: Counter[int] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(4)

    def sender(name: str) -> None:
        start.wait()
        while runs := repository.claim_runs(name, now=T0, lease=LEASE, limit=3):
            with lock:
                claims.update(r.id for r in runs if r.id is not None)

    threads = [threading.Thread(target=sender, args=(f"s{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(claims) == ids
    assert set(claims.values()) == {1}  # every run claimed exactly once
