"""trends matches, instant follows, run kinds, weekly trends schedule, personal dedupe

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'interest_matches',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('channel_id', sa.Integer(), nullable=False),
        sa.Column('interest', sa.String(length=600), nullable=False),
        sa.Column('paper_key', sa.String(length=300), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('channel_id', 'interest', 'paper_key'),
    )
    op.create_index(
        'ix_interest_matches_channel_day', 'interest_matches', ['channel_id', 'day']
    )
    with op.batch_alter_table('interests', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('instant', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table('digest_runs', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('kind', sa.String(length=16), server_default='digest', nullable=False)
        )
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trends_schedule', sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column('dedupe', sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.drop_column('dedupe')
        batch_op.drop_column('trends_schedule')
    with op.batch_alter_table('digest_runs', schema=None) as batch_op:
        batch_op.drop_column('kind')
    with op.batch_alter_table('interests', schema=None) as batch_op:
        batch_op.drop_column('instant')
    op.drop_index('ix_interest_matches_channel_day', table_name='interest_matches')
    op.drop_table('interest_matches')
