"""Media items: the files that came with inbound messages (photos, voice notes…), fetched and checked by a job.

Revision ID: 0013_media
Revises: 0012
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_media"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the media table."""
    op.create_table(
        "media_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("provider_ref", sa.String(length=500), nullable=True),
        sa.Column("declared_type", sa.String(length=100), nullable=True),
        sa.Column("content_type", sa.String(length=100), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("storage_key", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("error", sa.String(length=40), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], name="fk_media_items_message_id_messages"),
        sa.PrimaryKeyConstraint("id", name="pk_media_items"),
        sa.UniqueConstraint("storage_key", name="uq_media_items_storage_key"),
    )
    op.create_index("ix_media_items_message_id", "media_items", ["message_id"])
    op.create_index("ix_media_items_status", "media_items", ["status"])


def downgrade() -> None:
    """Drop it again."""
    op.drop_index("ix_media_items_status", "media_items")
    op.drop_index("ix_media_items_message_id", "media_items")
    op.drop_table("media_items")
