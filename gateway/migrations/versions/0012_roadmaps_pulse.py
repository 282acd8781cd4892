"""District roadmaps (items, status history, meetings where they were discussed) and the service-return pulse
(runs, rounds per commune, questions, answers, news told, bulletins sent).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the roadmap and pulse tables."""
    op.create_table(
        "bulletin_sendings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("scope", sa.String(length=120), nullable=False),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bulletin_sendings"),
        sa.UniqueConstraint("week", "scope", name="uq_bulletin_sendings_week"),
    )
    op.create_table(
        "pulse_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("schedule_key", sa.String(length=20), nullable=True),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["district_id"], ["districts.id"], name="fk_pulse_runs_district_id_districts"),
        sa.PrimaryKeyConstraint("id", name="pk_pulse_runs"),
        sa.UniqueConstraint("schedule_key", name="uq_pulse_runs_schedule_key"),
    )
    op.create_table(
        "roadmap_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("natural_key", sa.String(length=64), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("commune", sa.String(length=120), nullable=False),
        sa.Column("village", sa.String(length=120), nullable=True),
        sa.Column("service", sa.String(length=20), nullable=False),
        sa.Column("commitment", sa.Text(), nullable=False),
        sa.Column("responsible", sa.String(length=200), nullable=True),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["district_id"], ["districts.id"], name="fk_roadmap_items_district_id_districts"),
        sa.PrimaryKeyConstraint("id", name="pk_roadmap_items"),
        sa.UniqueConstraint("natural_key", name="uq_roadmap_items_natural_key"),
    )
    op.create_index("ix_roadmap_items_district_id", "roadmap_items", ["district_id"])
    op.create_table(
        "pulse_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("commune", sa.String(length=120), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("services", sa.String(length=200), nullable=False),
        sa.Column("asked", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["district_id"], ["districts.id"], name="fk_pulse_rounds_district_id_districts"),
        sa.ForeignKeyConstraint(["run_id"], ["pulse_runs.id"], name="fk_pulse_rounds_run_id_pulse_runs"),
        sa.PrimaryKeyConstraint("id", name="pk_pulse_rounds"),
    )
    op.create_index("ix_pulse_rounds_district_id", "pulse_rounds", ["district_id"])
    op.create_index("ix_pulse_rounds_run_id", "pulse_rounds", ["run_id"])
    op.create_index("ix_pulse_rounds_week", "pulse_rounds", ["week"])
    op.create_table(
        "roadmap_status_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("previous", sa.String(length=20), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["roadmap_items.id"], name="fk_roadmap_status_changes_item_id_roadmap_items"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_roadmap_status_changes"),
    )
    op.create_index("ix_roadmap_status_changes_item_id", "roadmap_status_changes", ["item_id"])
    op.create_table(
        "pulse_news",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("service", sa.String(length=20), nullable=False),
        sa.Column("change", sa.String(length=10), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], name="fk_pulse_news_alert_id_alerts"),
        sa.ForeignKeyConstraint(["round_id"], ["pulse_rounds.id"], name="fk_pulse_news_round_id_pulse_rounds"),
        sa.PrimaryKeyConstraint("id", name="pk_pulse_news"),
        sa.UniqueConstraint("round_id", "service", name="uq_pulse_news_round_id"),
    )
    op.create_index("ix_pulse_news_round_id", "pulse_news", ["round_id"])
    op.create_table(
        "roadmap_meeting_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["roadmap_items.id"], name="fk_roadmap_meeting_links_item_id_roadmap_items"
        ),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], name="fk_roadmap_meeting_links_meeting_id_meetings"),
        sa.PrimaryKeyConstraint("id", name="pk_roadmap_meeting_links"),
        sa.UniqueConstraint("item_id", "meeting_id", name="uq_roadmap_meeting_links_item_id"),
    )
    op.create_index("ix_roadmap_meeting_links_item_id", "roadmap_meeting_links", ["item_id"])
    op.create_index("ix_roadmap_meeting_links_meeting_id", "roadmap_meeting_links", ["meeting_id"])
    op.create_table(
        "pulse_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("service", sa.String(length=20), nullable=False),
        sa.Column("presence", sa.String(length=10), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], name="fk_pulse_answers_contact_id_contacts"),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], name="fk_pulse_answers_message_id_messages"),
        sa.ForeignKeyConstraint(["round_id"], ["pulse_rounds.id"], name="fk_pulse_answers_round_id_pulse_rounds"),
        sa.PrimaryKeyConstraint("id", name="pk_pulse_answers"),
        sa.UniqueConstraint("round_id", "contact_id", "service", name="uq_pulse_answers_round_id"),
    )
    op.create_index("ix_pulse_answers_contact_id", "pulse_answers", ["contact_id"])
    op.create_index("ix_pulse_answers_round_id", "pulse_answers", ["round_id"])
    op.create_table(
        "pulse_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], name="fk_pulse_questions_contact_id_contacts"),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], name="fk_pulse_questions_message_id_messages"),
        sa.ForeignKeyConstraint(["round_id"], ["pulse_rounds.id"], name="fk_pulse_questions_round_id_pulse_rounds"),
        sa.PrimaryKeyConstraint("id", name="pk_pulse_questions"),
        sa.UniqueConstraint("round_id", "contact_id", name="uq_pulse_questions_round_id"),
    )
    op.create_index("ix_pulse_questions_contact_id", "pulse_questions", ["contact_id"])
    op.create_index("ix_pulse_questions_round_id", "pulse_questions", ["round_id"])


def downgrade() -> None:
    """Drop them again."""
    op.drop_index("ix_pulse_questions_contact_id", "pulse_questions")
    op.drop_index("ix_pulse_questions_round_id", "pulse_questions")
    op.drop_table("pulse_questions")
    op.drop_index("ix_pulse_answers_contact_id", "pulse_answers")
    op.drop_index("ix_pulse_answers_round_id", "pulse_answers")
    op.drop_table("pulse_answers")
    op.drop_index("ix_roadmap_meeting_links_item_id", "roadmap_meeting_links")
    op.drop_index("ix_roadmap_meeting_links_meeting_id", "roadmap_meeting_links")
    op.drop_table("roadmap_meeting_links")
    op.drop_index("ix_pulse_news_round_id", "pulse_news")
    op.drop_table("pulse_news")
    op.drop_index("ix_roadmap_status_changes_item_id", "roadmap_status_changes")
    op.drop_table("roadmap_status_changes")
    op.drop_index("ix_pulse_rounds_district_id", "pulse_rounds")
    op.drop_index("ix_pulse_rounds_run_id", "pulse_rounds")
    op.drop_index("ix_pulse_rounds_week", "pulse_rounds")
    op.drop_table("pulse_rounds")
    op.drop_index("ix_roadmap_items_district_id", "roadmap_items")
    op.drop_table("roadmap_items")
    op.drop_table("pulse_runs")
    op.drop_table("bulletin_sendings")
