"""per-channel message layout; deliveries found by message id (reactions as votes)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('layout', sa.String(length=16), server_default='grouped', nullable=False)
        )
    op.create_index('ix_deliveries_message_id', 'deliveries', ['message_id'])


def downgrade() -> None:
    op.drop_index('ix_deliveries_message_id', table_name='deliveries')
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.drop_column('layout')
