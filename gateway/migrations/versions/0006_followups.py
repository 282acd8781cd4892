"""Follow-ups with reporters, alert updates, triage reminders and daily digests; resends of messages.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create followups, alert_updates, digests; add alerts.triage_reminded_at and alerts.assessment."""
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("triage_reminded_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("assessment", sa.String(20)))
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("resends", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "followups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("asks", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("next_ask_at", sa.DateTime(timezone=True)),
        sa.Column("waiting_since", sa.DateTime(timezone=True)),
        sa.Column("question_id", sa.Integer()),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_followups"),
        sa.UniqueConstraint("alert_id", name="uq_followups_alert_id"),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], name="fk_followups_alert_id_alerts"),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], name="fk_followups_contact_id_contacts"),
        sa.ForeignKeyConstraint(["question_id"], ["messages.id"], name="fk_followups_question_id_messages"),
    )
    op.create_index("ix_followups_contact_id", "followups", ["contact_id"])
    op.create_index("ix_followups_next_ask_at", "followups", ["next_ask_at"])
    op.create_table(
        "alert_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("value", sa.Text()),
        sa.Column("message_id", sa.Integer()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alert_updates"),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], name="fk_alert_updates_alert_id_alerts"),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], name="fk_alert_updates_message_id_messages"),
    )
    op.create_index("ix_alert_updates_alert_id", "alert_updates", ["alert_id"])
    op.create_table(
        "digests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("sent", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_digests"),
        sa.UniqueConstraint("district_id", "day", name="uq_digests_district_id_day"),
        sa.ForeignKeyConstraint(["district_id"], ["districts.id"], name="fk_digests_district_id_districts"),
    )


def downgrade() -> None:
    """Drop what upgrade added."""
    op.drop_table("digests")
    op.drop_table("alert_updates")
    op.drop_table("followups")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("resends")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("assessment")
        batch.drop_column("triage_reminded_at")
