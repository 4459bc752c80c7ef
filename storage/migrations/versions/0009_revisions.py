"""revision counters: schedule changes reach the scheduler's leader within seconds

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    revisions = op.create_table(
        'revisions',
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )
    # The row exists from the start, so every save only increments it (no insert race).
    op.bulk_insert(revisions, [{'name': 'channels', 'value': 0}])


def downgrade() -> None:
    op.drop_table('revisions')
