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

def _columns(table: str, with_income: bool) -> list[sa.Column[object]]:
    """The table's columns as of this revision (``income`` in the key) or the one before."""
    key: list[sa.Column[object]] = [
        sa.Column("operation_id", sa.String(length=63), nullable=False),
        sa.Column("pool_kind", sa.String(length=31), nullable=False),
        sa.Column("account", sa.String(length=200), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
    ]
    if table == "earning_revisions":
        key.append(sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False))
    if with_income:
        key.append(
            sa.Column("income", sa.String(length=16), nullable=False, server_default="mining")
        )
    values: list[sa.Column[object]] = [
        sa.Column("amount_sat", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
    ]
    if table == "pool_earnings":
        values.append(sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False))
    return [*key, *values]


def _rekey(table: str, *, with_income: bool) -> None:
    """Give ``table`` its key with (or without) ``income``, keeping every row: PostgreSQL
    changes the constraint in place; SQLite copies into a new table (it cannot alter a key)."""
    columns = _columns(table, with_income)
    key = [c.name for c in columns if c.name not in ("amount_sat", "source", "recorded_at")]
    if op.get_bind().dialect.name == "postgresql":
        if with_income:
            op.add_column(
                table,
                sa.Column(
                    "income", sa.String(length=16), nullable=False, server_default="mining"
                ),
            )
        op.drop_constraint(f"{table}_pkey", table, type_="primary")
        op.create_primary_key(f"{table}_pkey", table, key)
        if not with_income:
            op.drop_column(table, "income")
        return
    old = f"{table}_before_0005"
    op.rename_table(table, old)
    op.create_table(table, *columns, sa.PrimaryKeyConstraint(*key))
    shared = ", ".join(c.name for c in columns if c.name != "income")
    where = "" if with_income else " WHERE income = 'mining'"
    op.execute(sa.text(f"INSERT INTO {table} ({shared}) SELECT {shared} FROM {old}{where}"))  # noqa: S608
    op.drop_table(old)


def upgrade() -> None:
    for table in ("pool_earnings", "earning_revisions"):
        _rekey(table, with_income=True)
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
    """Back to 0004: credits of kinds other than mining are dropped (0004 cannot hold them)."""
    op.drop_table("pool_hashrate_samples")
    for table in ("pool_hashrate_days", "pool_hashrate_revisions"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("coverage")
            batch.drop_column("source")
    if op.get_bind().dialect.name == "postgresql":
        for table in ("earning_revisions", "pool_earnings"):
            op.execute(sa.text(f"DELETE FROM {table} WHERE income <> 'mining'"))  # noqa: S608
    for table in ("earning_revisions", "pool_earnings"):
        _rekey(table, with_income=False)
