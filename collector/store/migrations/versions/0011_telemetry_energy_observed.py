"""telemetry energy by when it was observed: a statement as of T counts only the energy the
store held at T (rows before this migration count as observed at their own minute)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "telemetry_energy_observed",
        sa.Column("site_id", sa.String(length=63), nullable=False),
        sa.Column("minute", sa.DateTime(timezone=True), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("energy_wh", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("site_id", "minute", "observed_at"),
    )
    # What was stored before: when it was observed is not known; its own minute is the
    # earliest it could have been, so a statement as of any instant reads what it read before.
    op.execute(
        "INSERT INTO telemetry_energy_observed (site_id, minute, observed_at, energy_wh)"
        " SELECT site_id, minute, minute, energy_wh FROM telemetry_rollups"
    )


def downgrade() -> None:
    op.drop_table("telemetry_energy_observed")
