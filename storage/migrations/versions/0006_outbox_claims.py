"""outbox claims on digest runs

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('digest_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_index('ix_digest_runs_status_lease', ['status', 'lease_until'], unique=False)
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_deliveries_run_id', ['run_id'], unique=False)
    # Runs that were composed but not (fully) sent are now queued in the outbox; a sender
    # claims them and, as they may have partly arrived, checks the platform first.
    op.execute(
        "UPDATE digest_runs SET status = 'queued', attempts = 1 "
        "WHERE status IN ('composed', 'interrupted')"
    )


def downgrade() -> None:
    op.execute("UPDATE digest_runs SET status = 'interrupted' WHERE status = 'queued'")
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_run_id')
    with op.batch_alter_table('digest_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_digest_runs_status_lease')
        batch_op.drop_column('attempts')
        batch_op.drop_column('lease_until')
        batch_op.drop_column('claimed_by')
