"""order shares

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 05:30:00.000000

Share links of an order (`domain.sharing`): the token's SHA-256, its expiry and revocation.
"""

from __future__ import annotations

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op


revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC_TIME = advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)


def upgrade() -> None:
    op.create_table(
        "order_share",
        sa.Column("id", ID, sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("expires_at", UTC_TIME, nullable=False),
        sa.Column("revoked_at", UTC_TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["wash_order.id"],
            name=op.f("fk_order_share_order_id_wash_order"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user_account.id"],
            name=op.f("fk_order_share_created_by_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_share")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_order_share_token_hash")),
    )
    op.create_index(op.f("ix_order_share_order_id"), "order_share", ["order_id"])
    op.create_index(op.f("ix_order_share_created_by"), "order_share", ["created_by"])


def downgrade() -> None:
    op.drop_index(op.f("ix_order_share_created_by"), table_name="order_share")
    op.drop_index(op.f("ix_order_share_order_id"), table_name="order_share")
    op.drop_table("order_share")
