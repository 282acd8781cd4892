"""Staff accounts and API tokens; who took or closed an alert from the console; authors of alert notes.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create staff_users and api_tokens; add escalations.acknowledged_by_user_id/resolved_by_user_id and
    alert_updates.actor; index audit_log.action (login throttling counts recent failures)."""
    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(200), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("region", sa.String(120)),
        sa.Column("district_id", sa.Integer()),
        sa.Column("contact_id", sa.Integer()),
        sa.Column("password_hash", sa.String(300)),
        sa.Column("totp_secret", sa.String(64)),
        sa.Column("recovery_codes", sa.Text()),
        sa.Column("disabled_at", sa.DateTime(timezone=True)),
        sa.Column("last_login_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["district_id"], ["districts.id"], name="fk_staff_users_district_id_districts"),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], name="fk_staff_users_contact_id_contacts"),
        sa.PrimaryKeyConstraint("id", name="pk_staff_users"),
        sa.UniqueConstraint("email", name="uq_staff_users_email"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(120)),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.ForeignKeyConstraint(["user_id"], ["staff_users.id"], name="fk_api_tokens_user_id_staff_users"),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])
    with op.batch_alter_table("escalations") as batch:
        batch.add_column(sa.Column("acknowledged_by_user_id", sa.Integer()))
        batch.add_column(sa.Column("resolved_by_user_id", sa.Integer()))
        batch.create_foreign_key(
            "fk_escalations_acknowledged_by_user_id_staff_users", "staff_users", ["acknowledged_by_user_id"], ["id"]
        )
        batch.create_foreign_key(
            "fk_escalations_resolved_by_user_id_staff_users", "staff_users", ["resolved_by_user_id"], ["id"]
        )
    with op.batch_alter_table("alert_updates") as batch:
        batch.add_column(sa.Column("actor", sa.String(200)))
    op.create_index("ix_audit_log_action", "audit_log", ["action"])


def downgrade() -> None:
    """Drop what upgrade added."""
    op.drop_index("ix_audit_log_action", table_name="audit_log")
    with op.batch_alter_table("alert_updates") as batch:
        batch.drop_column("actor")
    with op.batch_alter_table("escalations") as batch:
        batch.drop_constraint("fk_escalations_resolved_by_user_id_staff_users", type_="foreignkey")
        batch.drop_constraint("fk_escalations_acknowledged_by_user_id_staff_users", type_="foreignkey")
        batch.drop_column("resolved_by_user_id")
        batch.drop_column("acknowledged_by_user_id")
    op.drop_index("ix_api_tokens_user_id", table_name="api_tokens")
    op.drop_table("api_tokens")
    op.drop_table("staff_users")
