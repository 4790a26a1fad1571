"""session devices

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 02:20:00.000000

Each refresh token records the user agent and client address it was issued to, so that a
user's list of sessions (refresh-token families) says which device each one is and where it
was last used.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("refresh_token") as batch:
        batch.add_column(sa.Column("user_agent", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("address", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("refresh_token") as batch:
        batch.drop_column("address")
        batch.drop_column("user_agent")
