"""revisions of every input that changes a figure (append-only, as observed), and issued
statements stored whole

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 20:40:00

The revision tables start with what the store already holds, dated when it was recorded (so
"as of" any instant after the upgrade sees the data as it was).
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

def _account_day() -> list[sa.Column[object]]:
    return [
        sa.Column("operation_id", sa.String(length=63), nullable=False),
        sa.Column("pool_kind", sa.String(length=31), nullable=False),
        sa.Column("account", sa.String(length=200), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "earning_revisions",
        *_account_day(),
        sa.Column("amount_sat", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("operation_id", "pool_kind", "account", "day", "observed_at"),
    )
    op.create_table(
        "pool_hashrate_revisions",
        *_account_day(),
        sa.Column("hashrate_hs", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("operation_id", "pool_kind", "account", "day", "observed_at"),
    )
    op.create_table(
        "network_day_revisions",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocks", sa.Integer(), nullable=False),
        sa.Column("rewards_sat", sa.BigInteger(), nullable=False),
        sa.Column("hashrate_hs", sa.Float(), nullable=False),
        sa.Column("difficulty", sa.Float(), nullable=True),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("day", "observed_at"),
    )
    op.create_table(
        "reserve_output_revisions",
        sa.Column("txid", sa.String(length=64), nullable=False),
        sa.Column("vout", sa.Integer(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("operation_id", sa.String(length=63), nullable=False),
        sa.Column("address", sa.String(length=90), nullable=False),
        sa.Column("amount_sat", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("block_height", sa.BigInteger(), nullable=True),
        sa.Column("block_hash", sa.String(length=64), nullable=True),
        sa.Column("block_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False, server_default="remittance"),
        sa.PrimaryKeyConstraint("txid", "vout", "observed_at"),
    )
    op.create_index(
        "ix_reserve_output_revisions_operation_id", "reserve_output_revisions", ["operation_id"]
    )
    op.create_table(
        "chain_tip_revisions",
        sa.Column("chain", sa.String(length=16), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("height", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("chain", "observed_at"),
    )
    op.create_table(
        "issued_documents",
        sa.Column("operation_id", sa.String(length=63), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("statement_sha256", sa.String(length=64), nullable=False),
        sa.Column("due_sat", sa.BigInteger(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("operation_id", "period", "as_of", "format"),
    )
    op.execute(
        "INSERT INTO earning_revisions (operation_id, pool_kind, account, day, observed_at, "
        "amount_sat, source) SELECT operation_id, pool_kind, account, day, recorded_at, "
        "amount_sat, source FROM pool_earnings"
    )
    op.execute(
        "INSERT INTO pool_hashrate_revisions (operation_id, pool_kind, account, day, "
        "observed_at, hashrate_hs) SELECT operation_id, pool_kind, account, day, recorded_at, "
        "hashrate_hs FROM pool_hashrate_days"
    )
    op.execute(
        "INSERT INTO network_day_revisions (day, observed_at, blocks, rewards_sat, hashrate_hs, "
        "difficulty, complete) SELECT day, recorded_at, blocks, rewards_sat, hashrate_hs, "
        "difficulty, complete FROM network_days"
    )
    op.execute(
        "INSERT INTO reserve_output_revisions (txid, vout, observed_at, operation_id, address, "
        "amount_sat, status, block_height, block_hash, block_time, kind) SELECT txid, vout, "
        "last_seen, operation_id, address, amount_sat, status, block_height, block_hash, "
        "block_time, kind FROM reserve_outputs"
    )
    op.execute(
        "INSERT INTO chain_tip_revisions (chain, observed_at, height, block_hash) "
        "SELECT chain, observed_at, height, block_hash FROM chain_tip"
    )


def downgrade() -> None:
    op.drop_table("issued_documents")
    op.drop_table("chain_tip_revisions")
    op.drop_index("ix_reserve_output_revisions_operation_id", "reserve_output_revisions")
    op.drop_table("reserve_output_revisions")
    op.drop_table("network_day_revisions")
    op.drop_table("pool_hashrate_revisions")
    op.drop_table("earning_revisions")
