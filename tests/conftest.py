"""Shared fixtures: repositories of every kind, a fixed clock, the shared material's path."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, text

from digest.clock import FixedClock
from storage.engine import create_db_engine, upgrade_schema
from storage.memory import MemoryRepository
from storage.sql import SqlRepository

SHARED = Path(
    os.environ.get("PAPERBOY_SHARED_DIR", Path(__file__).resolve().parents[1].parent / "shared")
)
POSTGRES_URL = os.environ.get(
    "PAPERBOY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def shared_path(*parts: str) -> Path:
    """A path under ../shared, skipping the test with a reason when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(
            f"shared material not present: {path} (only in the developers' checkout and CI)"
        )
    return path


def _postgres_available() -> str | None:
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:  # any failure means "no server to test against"
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    return None


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throw-away schema on the test PostgreSQL server; skipped when no server answers."""
    problem = _postgres_available()
    if problem:
        pytest.skip(f"no PostgreSQL at {POSTGRES_URL}: {problem}")
    yield POSTGRES_URL


@pytest.fixture
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    schema = f"pb_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    scoped = create_db_engine(postgres_url)

    @event.listens_for(scoped, "connect")
    def _search_path(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f'SET search_path TO "{schema}"')
        cursor.close()
        dbapi_connection.commit()

    try:
        yield scoped
    finally:
        scoped.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def repository(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[object]:
    """One Repository of each kind: the contract suite runs against all of them."""
    if request.param == "memory":
        yield MemoryRepository()
        return
    if request.param == "sqlite":
        engine = create_db_engine(f"sqlite:///{tmp_path / 'test.db'}")
    else:
        engine = request.getfixturevalue("postgres_engine")
    upgrade_schema(engine)
    yield SqlRepository(engine)
    engine.dispose()


_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0", None}


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never reach the internet: any name other than this machine fails to resolve."""
    real = socket.getaddrinfo

    def local_only(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name not in _LOCAL_HOSTS:
            raise socket.gaierror(socket.EAI_NONAME, f"tests may not resolve {name}")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", local_only)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 6, 12, 8, 0, tzinfo=UTC))
