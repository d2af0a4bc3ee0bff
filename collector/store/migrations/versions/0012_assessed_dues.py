"""each operation's dues as the store knew them at an instant, kept once computed (the
assessments of amounts first known after their deadline), so a restart reads them

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 11:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assessed_dues",
        sa.Column("operation_id", sa.String(length=63), nullable=False),
        sa.Column("known_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("basis", sa.String(length=64), nullable=False),
        sa.Column("dues", sa.Text(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("operation_id", "known_at", "basis"),
    )


def downgrade() -> None:
    op.drop_table("assessed_dues")
