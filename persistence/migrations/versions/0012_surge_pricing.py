"""surge pricing

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 05:30:00.000000

Demand zones and surge: the price quote table, each zone's computed multiplier with an
admin's cap or pin, and on each order its base price, surge multiplier and zone.
"""

from __future__ import annotations

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op


revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC_TIME = advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("wash_order") as batch:
        batch.add_column(sa.Column("base_price_cents", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("surge_multiplier_pct", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("zone", sa.String(length=16), nullable=True))
        batch.create_index(batch.f("ix_wash_order_zone"), ["zone"])
    op.create_table(
        "price_quote",
        sa.Column("id", ID, sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("vehicle_id", sa.BigInteger(), nullable=False),
        sa.Column("package_id", sa.BigInteger(), nullable=False),
        sa.Column("zone", sa.String(length=16), nullable=False),
        sa.Column("base_price_cents", sa.Integer(), nullable=False),
        sa.Column("multiplier_pct", sa.Integer(), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("expires_at", UTC_TIME, nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["user_account.id"],
            name=op.f("fk_price_quote_customer_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["vehicle.id"],
            name=op.f("fk_price_quote_vehicle_id_vehicle"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["package_id"],
            ["service_package.id"],
            name=op.f("fk_price_quote_package_id_service_package"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["wash_order.id"],
            name=op.f("fk_price_quote_order_id_wash_order"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_quote")),
        sa.UniqueConstraint("token", name=op.f("uq_price_quote_token")),
    )
    op.create_index(op.f("ix_price_quote_customer_id"), "price_quote", ["customer_id"])
    op.create_index(op.f("ix_price_quote_expires_at"), "price_quote", ["expires_at"])
    op.create_table(
        "surge_zone",
        sa.Column("id", ID, sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("zone", sa.String(length=16), nullable=False),
        sa.Column("multiplier_pct", sa.Integer(), nullable=False),
        sa.Column("since", UTC_TIME, nullable=True),
        sa.Column("demand", sa.Integer(), nullable=False),
        sa.Column("supply", sa.Integer(), nullable=False),
        sa.Column("cap_pct", sa.Integer(), nullable=True),
        sa.Column("pin_pct", sa.Integer(), nullable=True),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surge_zone")),
        sa.UniqueConstraint("zone", name=op.f("uq_surge_zone_zone")),
    )


def downgrade() -> None:
    op.drop_table("surge_zone")
    op.drop_index(op.f("ix_price_quote_expires_at"), table_name="price_quote")
    op.drop_index(op.f("ix_price_quote_customer_id"), table_name="price_quote")
    op.drop_table("price_quote")
    with op.batch_alter_table("wash_order") as batch:
        batch.drop_index(batch.f("ix_wash_order_zone"))
        batch.drop_column("zone")
        batch.drop_column("surge_multiplier_pct")
        batch.drop_column("base_price_cents")
