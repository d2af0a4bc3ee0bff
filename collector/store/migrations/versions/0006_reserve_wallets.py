"""reserve outputs say whose wallet they are in (reserve, intake, custody) or that they left
(outside); which transaction spent which watched output

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 06:40:00

Rows stored before this revision are in operations' reserve wallets, as they were.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_TABLES = ("reserve_outputs", "reserve_output_revisions")


def upgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("role", sa.String(length=16), nullable=False, server_default="reserve")
            )
    op.create_table(
        "reserve_spends",
        sa.Column("txid", sa.String(length=64), nullable=False),
        sa.Column("prev_txid", sa.String(length=64), nullable=False),
        sa.Column("prev_vout", sa.Integer(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("txid", "prev_txid", "prev_vout"),
    )


def downgrade() -> None:
    op.drop_table("reserve_spends")
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("role")
