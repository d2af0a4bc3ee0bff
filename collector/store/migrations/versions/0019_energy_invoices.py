"""the digital-mining fee's energy invoices: a site's electricity invoiced for a month (kWh
and tenge paid), kept as revisions by when observed, one per site and invoice number

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 15:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "energy_invoices",
        sa.Column("site_id", sa.String(length=63), nullable=False),
        sa.Column("invoice_number", sa.String(length=100), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("energy_wh", sa.BigInteger(), nullable=False),
        sa.Column("amount_tiyn", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("site_id", "invoice_number", "observed_at"),
    )


def downgrade() -> None:
    op.drop_table("energy_invoices")
