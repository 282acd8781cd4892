"""Safety: discreet contacts, retention marks, Telegram clean-up times, and the audit log.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add contacts.discreet, messages.purged_at/delete_at/deleted_at, alerts.purged_at; create audit_log."""
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("discreet", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("purged_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("delete_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True)))
    op.create_index("ix_messages_delete_at", "messages", ["delete_at"])
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("purged_at", sa.DateTime(timezone=True)))
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("target", sa.String(120)),
        sa.Column("detail", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_actor", "audit_log", ["actor"])


def downgrade() -> None:
    """Drop what upgrade added."""
    op.drop_index("ix_audit_log_actor", table_name="audit_log")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("purged_at")
    op.drop_index("ix_messages_delete_at", table_name="messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("deleted_at")
        batch.drop_column("delete_at")
        batch.drop_column("purged_at")
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("discreet")
