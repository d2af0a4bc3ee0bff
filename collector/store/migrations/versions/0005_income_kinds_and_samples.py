"""pool credits keep their kind of income; daily hash rates say where they came from; the
collector's own hash-rate samples of each pool account, append-only

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 03:30:00

Rows stored before this revision are mining income and pool-published hash rates, as they were.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_DAY_KEY = ["operation_id", "pool_kind", "account", "day"]


def _set_key(table: str, key: list[str]) -> None:
    """Make ``key`` the table's primary key (SQLite: by recreating the table)."""
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(f"{table}_pkey", table, type_="primary")
        op.create_primary_key(f"{table}_pkey", table, key)
        return
    with op.batch_alter_table(table, recreate="always") as batch:
        batch.create_primary_key(f"{table}_pkey", key)


def upgrade() -> None:
    for table, key in (
        ("pool_earnings", [*_DAY_KEY, "income"]),
        ("earning_revisions", [*_DAY_KEY, "income", "observed_at"]),
    ):
        op.add_column(
            table, sa.Column("income", sa.String(length=16), nullable=False, server_default="mining")
        )
        _set_key(table, key)
    for table in ("pool_hashrate_days", "pool_hashrate_revisions"):
        op.add_column(
            table, sa.Column("source", sa.String(length=16), nullable=False, server_default="pool")
        )
        op.add_column(table, sa.Column("coverage", sa.Float(), nullable=True))
    op.create_table(
        "pool_hashrate_samples",
        sa.Column("operation_id", sa.String(length=63), nullable=False),
        sa.Column("pool_kind", sa.String(length=31), nullable=False),
        sa.Column("account", sa.String(length=200), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hashrate_hs", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("operation_id", "pool_kind", "account", "observed_at"),
    )


def downgrade() -> None:
    op.drop_table("pool_hashrate_samples")
    for table in ("pool_hashrate_days", "pool_hashrate_revisions"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("coverage")
            batch.drop_column("source")
    for table, key in (
        ("earning_revisions", [*_DAY_KEY, "observed_at"]),
        ("pool_earnings", _DAY_KEY),
    ):
        op.execute(sa.text(f"DELETE FROM {table} WHERE income <> 'mining'"))  # noqa: S608
        _set_key(table, key)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("income")
