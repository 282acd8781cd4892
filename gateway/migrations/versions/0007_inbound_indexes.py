"""Indexes for handling inbound messages in jobs: a sender's unhandled messages, and those never handled.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Index messages by (address, processed_at) and (direction, processed_at)."""
    op.create_index("ix_messages_address_processed_at", "messages", ["address", "processed_at"])
    op.create_index("ix_messages_direction_processed_at", "messages", ["direction", "processed_at"])


def downgrade() -> None:
    """Drop what upgrade added."""
    op.drop_index("ix_messages_direction_processed_at", table_name="messages")
    op.drop_index("ix_messages_address_processed_at", table_name="messages")
