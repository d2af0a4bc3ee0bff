"""seized cases' legal states imported from a CSV (order pending, forfeited, released), kept as
revisions by when observed, one per case and state

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 14:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_state_imports",
        sa.Column("case_id", sa.String(length=63), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("order_ref", sa.String(length=200), nullable=False),
        sa.Column("destination", sa.String(length=90), nullable=True),
        sa.PrimaryKeyConstraint("case_id", "state", "observed_at"),
    )


def downgrade() -> None:
    op.drop_table("case_state_imports")
