"""Albums: the Telegram `media_group_id` of an inbound message, so that the items of one album make one report.

Revision ID: 0014_albums
Revises: 0013_media
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_albums"
down_revision = "0013_media"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the column and the index that finds an album's other items."""
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("media_group", sa.String(length=64), nullable=True))
    op.create_index("ix_messages_address_media_group", "messages", ["address", "media_group"])


def downgrade() -> None:
    """Drop them again."""
    op.drop_index("ix_messages_address_media_group", "messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("media_group")
