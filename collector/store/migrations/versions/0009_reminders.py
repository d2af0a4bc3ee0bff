"""payment reminders sent before a deadline, append-only (one per operation, period and
deadline: a restart never sends one twice)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 06:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reminders_sent",
        sa.Column("operation_id", sa.String(length=63), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unpaid_sat", sa.BigInteger(), nullable=False),
        sa.Column("emailed_to", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.PrimaryKeyConstraint("operation_id", "period", "deadline"),
    )


def downgrade() -> None:
    op.drop_table("reminders_sent")
