"""Written notices' templates (versioned), reminders sent (once per task and threshold), users' e-mail.

Revision ID: 0020
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_user") as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(320), nullable=True))
    op.create_table(
        "notice_template",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("docx", sa.LargeBinary(), nullable=True),
        sa.Column("docx_filename", sa.String(200), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("kind", "version", name="uq_notice_template_kind_version"),
    )
    op.create_table(
        "sent_reminder",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("task_id", sa.String(36), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.String(20), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(400), nullable=False),
        sa.UniqueConstraint("task_id", "threshold", name="uq_sent_reminder_task_threshold"),
    )
    op.create_index("ix_sent_reminder_instance_id", "sent_reminder", ["instance_id"])


def downgrade() -> None:
    op.drop_index("ix_sent_reminder_instance_id", table_name="sent_reminder")
    op.drop_table("sent_reminder")
    op.drop_table("notice_template")
    with op.batch_alter_table("app_user") as batch_op:
        batch_op.drop_column("email")
