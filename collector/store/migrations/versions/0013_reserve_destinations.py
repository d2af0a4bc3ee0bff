"""the histories of the addresses the reserve's coins were paid to, as first read: how new
each destination was (issue 27, item 10)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 11:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reserve_destinations",
        sa.Column("address", sa.String(length=90), nullable=False),
        sa.Column("first_txid", sa.String(length=64), nullable=True),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=True),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("address"),
    )


def downgrade() -> None:
    op.drop_table("reserve_destinations")
