"""Broadcasts (mass sendings followed in the console), each outbox row's broadcast, why a contact's channel is
unreachable, and an index on messages.created_at (the console's message log filters on dates).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create broadcasts; add messages.broadcast_id and contacts' unreachable reasons."""
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("meeting_id", sa.Integer()),
        sa.Column("district_id", sa.Integer()),
        sa.Column("region", sa.String(120)),
        sa.Column("text", sa.Text()),
        sa.Column("filters", sa.Text()),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("segments", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], name="fk_broadcasts_meeting_id_meetings"),
        sa.ForeignKeyConstraint(["district_id"], ["districts.id"], name="fk_broadcasts_district_id_districts"),
        sa.ForeignKeyConstraint(["created_by_id"], ["staff_users.id"], name="fk_broadcasts_created_by_id_staff_users"),
        sa.PrimaryKeyConstraint("id", name="pk_broadcasts"),
    )
    op.create_index("ix_broadcasts_meeting_id", "broadcasts", ["meeting_id"])
    op.create_index("ix_broadcasts_district_id", "broadcasts", ["district_id"])
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("broadcast_id", sa.Integer()))
        batch.create_foreign_key("fk_messages_broadcast_id_broadcasts", "broadcasts", ["broadcast_id"], ["id"])
        batch.create_index("ix_messages_broadcast_id", ["broadcast_id"])
        batch.create_index("ix_messages_created_at", ["created_at"])  # the console's message log filters on dates
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("sms_unreachable_reason", sa.String(40)))
        batch.add_column(sa.Column("telegram_unreachable_reason", sa.String(40)))


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("telegram_unreachable_reason")
        batch.drop_column("sms_unreachable_reason")
    with op.batch_alter_table("messages") as batch:
        batch.drop_index("ix_messages_created_at")
        batch.drop_index("ix_messages_broadcast_id")
        batch.drop_constraint("fk_messages_broadcast_id_broadcasts", type_="foreignkey")
        batch.drop_column("broadcast_id")
    op.drop_index("ix_broadcasts_district_id", "broadcasts")
    op.drop_index("ix_broadcasts_meeting_id", "broadcasts")
    op.drop_table("broadcasts")
