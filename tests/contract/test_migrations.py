"""The Alembic migrations build exactly the schema the models describe, on every database."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

import storage.slack_tables
import storage.tables  # noqa: F401
from storage.engine import create_db_engine, upgrade_schema


def _check(engine: Engine) -> None:
    upgrade_schema(engine)
    upgrade_schema(engine)  # a second start is a no-op
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []
    assert {"papers", "channels", "deliveries", "alembic_version"} <= set(
        inspect(engine).get_table_names()
    )


def test_sqlite_schema_matches_models(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'm.db'}")
    _check(engine)
    engine.dispose()


@pytest.mark.postgres
def test_postgres_schema_matches_models(postgres_engine: Engine) -> None:
    _check(postgres_engine)
