"""refresh token family

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 14:10:00.000000

Every refresh token gets the id of the login it descends from, so that replaying a rotated
token can revoke all of its descendants. Tokens issued before this revision each become a
family of their own.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("refresh_token", sa.Column("family_id", sa.String(length=32), nullable=True))
    op.execute(
        "UPDATE refresh_token SET family_id = 'legacy-' || CAST(id AS VARCHAR(20)) "
        "WHERE family_id IS NULL"
    )
    with op.batch_alter_table("refresh_token") as batch:
        batch.alter_column("family_id", existing_type=sa.String(length=32), nullable=False)
    op.create_index(
        op.f("ix_refresh_token_family_id"), "refresh_token", ["family_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_refresh_token_family_id"), table_name="refresh_token")
    with op.batch_alter_table("refresh_token") as batch:
        batch.drop_column("family_id")
