"""operation terms kept as revisions, as observed

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 21:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "terms_revisions",
        sa.Column("operation_id", sa.String(length=63), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("operation_id", "observed_at"),
    )


def downgrade() -> None:
    op.drop_table("terms_revisions")
