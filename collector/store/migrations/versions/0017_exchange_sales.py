"""the mandatory sale's evidence: sales of mined coins on AIFC exchanges, imported from the
exchanges' statements (append-only, one row per operation and reference)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exchange_sales",
        sa.Column("operation_id", sa.String(length=63), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("sold_on", sa.Date(), nullable=False),
        sa.Column("exchange", sa.String(length=100), nullable=False),
        sa.Column("sold_sat", sa.BigInteger(), nullable=False),
        sa.Column("proceeds", sa.String(length=40), nullable=True),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("operation_id", "reference"),
    )


def downgrade() -> None:
    op.drop_table("exchange_sales")
