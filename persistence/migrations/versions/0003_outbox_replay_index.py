"""outbox replay index: an aggregate's stored events by sequence

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 14:40:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A resume that Redis cannot serve reads one order's (or chat's) events after a sequence.
    op.create_index(
        "ix_outbox_event_aggregate_seq",
        "outbox_event",
        ["topic", "aggregate_id", "seq"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_event_aggregate_seq", table_name="outbox_event")
