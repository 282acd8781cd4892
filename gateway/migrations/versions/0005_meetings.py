"""Meetings, invitations and their reminders.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create meetings, invitations and meeting_reminders."""
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(200), nullable=False),
        sa.Column("agenda", sa.Text()),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_by_id", sa.Integer()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_meetings"),
        sa.ForeignKeyConstraint(["district_id"], ["districts.id"], name="fk_meetings_district_id_districts"),
        sa.ForeignKeyConstraint(["created_by_id"], ["contacts.id"], name="fk_meetings_created_by_id_contacts"),
    )
    op.create_index("ix_meetings_district_id", "meetings", ["district_id"])
    op.create_index("ix_meetings_starts_at", "meetings", ["starts_at"])
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("answer", sa.Boolean()),
        sa.Column("answered_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_invitations"),
        sa.UniqueConstraint("meeting_id", "contact_id", name="uq_invitations_meeting_id_contact_id"),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], name="fk_invitations_meeting_id_meetings"),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], name="fk_invitations_contact_id_contacts"),
    )
    op.create_index("ix_invitations_meeting_id", "invitations", ["meeting_id"])
    op.create_index("ix_invitations_contact_id", "invitations", ["contact_id"])
    op.create_table(
        "meeting_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_meeting_reminders"),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], name="fk_meeting_reminders_meeting_id_meetings"),
    )
    op.create_index("ix_meeting_reminders_meeting_id", "meeting_reminders", ["meeting_id"])
    op.create_index("ix_meeting_reminders_due_at", "meeting_reminders", ["due_at"])


def downgrade() -> None:
    """Drop them."""
    op.drop_table("meeting_reminders")
    op.drop_table("invitations")
    op.drop_table("meetings")
