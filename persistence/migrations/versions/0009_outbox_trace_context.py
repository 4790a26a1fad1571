"""outbox trace context

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 05:30:00.000000

The W3C traceparent of the request that committed an outbox event, so the relay's publish
and each process's delivery join that request's trace (`realtime.tracing`). Nullable: rows
written with tracing off, and every older row, have none.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_event") as batch:
        batch.add_column(sa.Column("trace_context", sa.String(length=55), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_event") as batch:
        batch.drop_column("trace_context")
