"""Telegram: reply buttons and inbound extras on messages, shared locations on alerts.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add messages.buttons, messages.meta, alerts.latitude, alerts.longitude."""
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("buttons", sa.Text()))
        batch.add_column(sa.Column("meta", sa.Text()))
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("latitude", sa.Float()))
        batch.add_column(sa.Column("longitude", sa.Float()))


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("longitude")
        batch.drop_column("latitude")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("meta")
        batch.drop_column("buttons")
