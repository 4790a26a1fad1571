"""sealed mfa secrets

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 05:40:00.000000

Authenticator secrets are stored encrypted (`app.mfa_secrets`): a sealed secret is longer
than the 64 characters of a clear one. Secrets stored in the clear are sealed by the app when
it starts, under its key, which the migration does not hold.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("totp_factor") as batch:
        batch.alter_column(
            "secret", existing_type=sa.String(length=64), type_=sa.String(length=255)
        )


def downgrade() -> None:
    with op.batch_alter_table("totp_factor") as batch:
        batch.alter_column(
            "secret", existing_type=sa.String(length=255), type_=sa.String(length=64)
        )
