"""Two `paperboy run` replicas on one PostgreSQL database: one leads; kill it mid fan-out and
the other takes over within a minute; every channel gets its digest exactly once."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.fakes.slack import fake_slack
from tests.test_crash import _all_sent, _prepare, assert_exactly_once, start_run


@pytest.fixture
def replica_database(postgres_url: str) -> Iterator[tuple[str, str]]:
    schema = f"pb_replicas_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{postgres_url}?options=-csearch_path%3D{schema}", schema
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _leader(database: str) -> str | None:
    engine = create_engine(database.split("?")[0])
    try:
        with engine.connect() as connection:
            return connection.execute(
                text(
                    "select a.application_name from pg_locks l join pg_stat_activity a "
                    "on l.pid = a.pid where l.locktype = 'advisory' and l.granted"
                )
            ).scalar()
    finally:
        engine.dispose()


@pytest.mark.postgres
async def test_the_leader_dies_and_the_other_replica_finishes(
    tmp_path: Path, replica_database: tuple[str, str]
) -> None:
    database, _ = replica_database
    await _prepare(database)
    async with fake_slack() as fake:
        fake.post_delay = 0.5
        replicas = {}
        for name in ("replica-a", "replica-b"):
            url = f"{database}&application_name={name}"
            # The default lease (40 s): the promise is a takeover within a minute as shipped.
            replicas[name] = await start_run(url, fake.api_url, tmp_path, replica=name)
        try:
            deadline = time.monotonic() + 60
            while not fake.history:  # the leader's fan-out has begun
                assert time.monotonic() < deadline, "no replica started posting"
                await asyncio.sleep(0.05)
            leader = _leader(database)
            assert leader in replicas
            replicas[leader].send_signal(signal.SIGKILL)
            await replicas[leader].wait()
            killed_at = time.monotonic()
            assert not _all_sent(database)  # killed mid fan-out
            while not _all_sent(database):
                assert time.monotonic() - killed_at < 60, "nobody took over within a minute"
                await asyncio.sleep(0.1)
            print(f"the survivor finished {time.monotonic() - killed_at:.1f} s after the kill")
            survivor = next(n for n in replicas if n != leader)
            assert _leader(database) == survivor
        finally:
            for process in replicas.values():
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
                    await asyncio.wait_for(process.wait(), 30)
        history = dict(fake.history)
    assert_exactly_once(database, history)
