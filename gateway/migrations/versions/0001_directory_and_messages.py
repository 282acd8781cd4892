"""Directory (districts, contacts) and the messages table (the outbox).

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create districts, contacts and messages."""
    op.create_table(
        "districts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("region", sa.String(120)),
        sa.PrimaryKeyConstraint("id", name="pk_districts"),
        sa.UniqueConstraint("code", name="uq_districts_code"),
    )
    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("telegram_id", sa.BigInteger()),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("region", sa.String(120)),
        sa.Column("district_id", sa.Integer()),
        sa.Column("commune", sa.String(120)),
        sa.Column("village", sa.String(120)),
        sa.Column("language", sa.String(5), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("escalation_level", sa.Integer()),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("sms_unreachable", sa.Boolean(), nullable=False),
        sa.Column("telegram_unreachable", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_contacts"),
        sa.UniqueConstraint("phone", name="uq_contacts_phone"),
        sa.UniqueConstraint("telegram_id", name="uq_contacts_telegram_id"),
        sa.ForeignKeyConstraint(["district_id"], ["districts.id"], name="fk_contacts_district_id_districts"),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("contact_id", sa.Integer()),
        sa.Column("address", sa.String(40)),
        sa.Column("provider_id", sa.String(120)),
        sa.Column("body", sa.Text()),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("priority", sa.String(10), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("error_code", sa.String(40)),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_messages"),
        sa.UniqueConstraint("channel", "provider_id", name="uq_messages_channel_provider_id"),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], name="fk_messages_contact_id_contacts"),
    )
    op.create_index("ix_messages_contact_id", "messages", ["contact_id"])
    op.create_index("ix_messages_status", "messages", ["status"])


def downgrade() -> None:
    """Drop the tables."""
    op.drop_table("messages")
    op.drop_table("contacts")
    op.drop_table("districts")
