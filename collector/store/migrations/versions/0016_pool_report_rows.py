"""pools' monthly distribution reports to the tax authority: each month's report stored whole
at each revision, observed when imported

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pool_report_rows",
        sa.Column("operation_id", sa.String(length=63), nullable=False),
        sa.Column("pool", sa.String(length=31), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("miner_name", sa.String(length=200), nullable=False),
        sa.Column("licence_number", sa.String(length=100), nullable=False),
        sa.Column("licence_date", sa.Date(), nullable=False),
        sa.Column("wallet", sa.String(length=90), nullable=False),
        sa.Column("distributed_on", sa.Date(), nullable=False),
        sa.Column("amount_sat", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("operation_id", "pool", "period", "observed_at", "line"),
    )


def downgrade() -> None:
    op.drop_table("pool_report_rows")
