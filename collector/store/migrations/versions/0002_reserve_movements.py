"""reserve outputs carry their kind: a remittance, or an internal movement of the reserve

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 21:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reserve_outputs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="remittance")
        )


def downgrade() -> None:
    with op.batch_alter_table("reserve_outputs", schema=None) as batch_op:
        batch_op.drop_column("kind")
