"""Revocable sessions (a per-user session generation), token expiry, and login throttling by
client address and user name.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_user") as batch_op:
        batch_op.add_column(sa.Column("session_generation", sa.Integer(), nullable=False,
                                      server_default="0"))
    with op.batch_alter_table("api_token") as batch_op:
        # Empty for tokens made before expiry existed: they expire token_days after creation.
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "login_throttle",
        sa.Column("client", sa.String(100), primary_key=True),
        sa.Column("username", sa.String(200), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_login_throttle_username", "login_throttle", ["username"])


def downgrade() -> None:
    op.drop_index("ix_login_throttle_username", "login_throttle")
    op.drop_table("login_throttle")
    with op.batch_alter_table("api_token") as batch_op:
        batch_op.drop_column("expires_at")
    with op.batch_alter_table("app_user") as batch_op:
        batch_op.drop_column("session_generation")
