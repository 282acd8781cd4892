"""The last TOTP time step each staff user logged in with, so that a code cannot be used twice.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add staff_users.totp_last_step."""
    with op.batch_alter_table("staff_users") as batch:
        batch.add_column(sa.Column("totp_last_step", sa.Integer()))


def downgrade() -> None:
    """Drop staff_users.totp_last_step."""
    with op.batch_alter_table("staff_users") as batch:
        batch.drop_column("totp_last_step")
