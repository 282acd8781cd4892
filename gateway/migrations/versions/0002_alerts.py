"""Alerts, and the link from messages to the alert they belong to.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create alerts; add messages.processed_at and messages.alert_id."""
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer()),
        sa.Column("region", sa.String(120)),
        sa.Column("district_id", sa.Integer()),
        sa.Column("commune", sa.String(120)),
        sa.Column("village", sa.String(120)),
        sa.Column("place", sa.String(200)),
        sa.Column("category", sa.String(40)),
        sa.Column("severity", sa.Integer()),
        sa.Column("description", sa.Text()),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("triaged_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
        sa.ForeignKeyConstraint(["reporter_id"], ["contacts.id"], name="fk_alerts_reporter_id_contacts"),
        sa.ForeignKeyConstraint(["district_id"], ["districts.id"], name="fk_alerts_district_id_districts"),
    )
    op.create_index("ix_alerts_reporter_id", "alerts", ["reporter_id"])
    op.create_index("ix_alerts_district_id", "alerts", ["district_id"])
    op.create_index("ix_alerts_status", "alerts", ["status"])
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("processed_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("alert_id", sa.Integer()))
        batch.create_foreign_key("fk_messages_alert_id_alerts", "alerts", ["alert_id"], ["id"])
        batch.create_index("ix_messages_alert_id", ["alert_id"])


def downgrade() -> None:
    """Drop what upgrade added."""
    with op.batch_alter_table("messages") as batch:
        batch.drop_index("ix_messages_alert_id")
        batch.drop_constraint("fk_messages_alert_id_alerts", type_="foreignkey")
        batch.drop_column("alert_id")
        batch.drop_column("processed_at")
    op.drop_index("ix_alerts_status", "alerts")
    op.drop_index("ix_alerts_district_id", "alerts")
    op.drop_index("ix_alerts_reporter_id", "alerts")
    op.drop_table("alerts")
