"""BIP-322 proofs of control of reserve addresses, append-only, with what was established
when each was registered

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 06:35:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "control_proofs",
        sa.Column("address", sa.String(length=90), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("signature_valid", sa.Boolean(), nullable=False),
        sa.Column("block_height", sa.BigInteger(), nullable=True),
        sa.Column("tip_height", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("address", "registered_at"),
    )


def downgrade() -> None:
    op.drop_table("control_proofs")
