"""Task drafts: a task's form saved per person without completing it.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "task_draft",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("task_id", sa.String(36), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("element_id", sa.String(200), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("task_id", "owner", name="uq_task_draft_task_owner"),
    )
    op.create_index("ix_task_draft_instance_id", "task_draft", ["instance_id"])


def downgrade() -> None:
    op.drop_index("ix_task_draft_instance_id", table_name="task_draft")
    op.drop_table("task_draft")
