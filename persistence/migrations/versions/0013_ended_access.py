"""ended access

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 15:00:00.000000

The ends of sessions and accounts, which every process polls to refuse access tokens that
ended before they expire (`app.session_access`). Filled with what may still have live
access tokens: sessions ended in the last day, and every inactive account (as ended now).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op


revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC_TIME = advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)
BACKFILL_DAYS = 1
"""Far longer than any access token lives: older ends no longer matter."""


def upgrade() -> None:
    ended = op.create_table(
        "ended_access",
        sa.Column("id", ID, sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("family_id", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("ended_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_ended_access_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ended_access")),
    )
    op.create_index(op.f("ix_ended_access_ended_at"), "ended_access", ["ended_at"])
    _backfill(ended)


def _backfill(ended: sa.Table) -> None:
    now = datetime.now(UTC)
    tokens = sa.table(
        "refresh_token",
        sa.column("user_id", sa.BigInteger()),
        sa.column("family_id", sa.String()),
        sa.column("revoked_at", UTC_TIME),
    )
    users = sa.table("user_account", sa.column("id", sa.BigInteger()), sa.column("is_active"))
    last_revoked = sa.func.max(tokens.c.revoked_at)
    ended_families = (
        sa.select(tokens.c.user_id, tokens.c.family_id, sa.literal("session_revoked"), last_revoked)
        .group_by(tokens.c.user_id, tokens.c.family_id)
        .having(sa.func.count() == sa.func.count(tokens.c.revoked_at))
        .having(last_revoked > sa.bindparam("since", now - timedelta(days=BACKFILL_DAYS), UTC_TIME))
    )
    inactive_accounts = sa.select(
        users.c.id,
        sa.null(),
        sa.literal("account_deactivated"),
        sa.bindparam("now", now, UTC_TIME),
    ).where(users.c.is_active.is_(False))
    columns = ["user_id", "family_id", "reason", "ended_at"]
    op.execute(ended.insert().from_select(columns, ended_families))
    op.execute(ended.insert().from_select(columns, inactive_accounts))


def downgrade() -> None:
    op.drop_index(op.f("ix_ended_access_ended_at"), table_name="ended_access")
    op.drop_table("ended_access")
