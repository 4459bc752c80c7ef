"""Alembic environment: runs on the connection handed in by storage.engine.upgrade_schema."""

from __future__ import annotations

import storage.slack_tables
import storage.tables  # noqa: F401
from alembic import context
from sqlmodel import SQLModel

target_metadata = SQLModel.metadata


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through storage.engine.upgrade_schema")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
