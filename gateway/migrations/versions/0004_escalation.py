"""Escalation ladders and the notifications timeline.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create escalations and notifications."""
    op.create_table(
        "escalations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("ladder", sa.Boolean(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("repeats", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("step_seq", sa.Integer(), nullable=False),
        sa.Column("next_step_at", sa.DateTime(timezone=True)),
        sa.Column("acknowledged_by_id", sa.Integer()),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True)),
        sa.Column("remind_at", sa.DateTime(timezone=True)),
        sa.Column("reminded_at", sa.DateTime(timezone=True)),
        sa.Column("resolved_by_id", sa.Integer()),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        sa.Column("resolution_note", sa.Text()),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_escalations"),
        sa.UniqueConstraint("alert_id", name="uq_escalations_alert_id"),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], name="fk_escalations_alert_id_alerts"),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_id"], ["contacts.id"], name="fk_escalations_acknowledged_by_id_contacts"
        ),
        sa.ForeignKeyConstraint(["resolved_by_id"], ["contacts.id"], name="fk_escalations_resolved_by_id_contacts"),
    )
    op.create_index("ix_escalations_status", "escalations", ["status"])
    op.create_index("ix_escalations_next_step_at", "escalations", ["next_step_at"])
    op.create_index("ix_escalations_remind_at", "escalations", ["remind_at"])
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], name="fk_notifications_alert_id_alerts"),
        sa.ForeignKeyConstraint(["officer_id"], ["contacts.id"], name="fk_notifications_officer_id_contacts"),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], name="fk_notifications_message_id_messages"),
    )
    op.create_index("ix_notifications_alert_id", "notifications", ["alert_id"])
    op.create_index("ix_notifications_officer_id", "notifications", ["officer_id"])


def downgrade() -> None:
    """Drop them."""
    op.drop_table("notifications")
    op.drop_table("escalations")
