"""Candidate-group rows carry the task's case, due date and whether it is an open offer.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("human_task_group") as batch_op:
        batch_op.add_column(sa.Column("instance_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("open", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.create_foreign_key("fk_human_task_group_instance", "instance", ["instance_id"], ["id"])
        batch_op.create_index("ix_human_task_group_offer", ["group_name", "open", "due_at"])
    op.execute(
        "UPDATE human_task_group SET "
        "instance_id = (SELECT instance_id FROM human_task WHERE human_task.id = human_task_group.task_id), "
        "due_at = (SELECT due_at FROM human_task WHERE human_task.id = human_task_group.task_id), "
        "open = (SELECT state = 'ready' AND assignee IS NULL FROM human_task "
        "        WHERE human_task.id = human_task_group.task_id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("human_task_group") as batch_op:
        batch_op.drop_index("ix_human_task_group_offer")
        batch_op.drop_constraint("fk_human_task_group_instance", type_="foreignkey")
        batch_op.drop_column("open")
        batch_op.drop_column("due_at")
        batch_op.drop_column("instance_id")
