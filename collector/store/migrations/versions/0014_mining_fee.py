"""the digital-mining fee's inputs: the grid operator's metered energy per site and day or
month (revisions by when observed) and the fee's bank transfers

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 11:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "grid_meter_readings",
        sa.Column("site_id", sa.String(length=63), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_kind", sa.String(length=8), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("energy_wh", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("site_id", "period_start", "period_kind", "observed_at"),
    )
    op.create_table(
        "mining_fee_payments",
        sa.Column("operation_id", sa.String(length=63), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("amount_tiyn", sa.BigInteger(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("operation_id", "reference"),
    )


def downgrade() -> None:
    op.drop_table("mining_fee_payments")
    op.drop_table("grid_meter_readings")
