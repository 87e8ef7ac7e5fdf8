"""Human tasks indexed by case, state and due date (replaces the index on the case alone).

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("human_task") as batch_op:
        batch_op.create_index("ix_human_task_instance_state_due", ["instance_id", "state", "due_at"])
        batch_op.drop_index("ix_human_task_instance_id")


def downgrade() -> None:
    with op.batch_alter_table("human_task") as batch_op:
        batch_op.create_index("ix_human_task_instance_id", ["instance_id"])
        batch_op.drop_index("ix_human_task_instance_state_due")
