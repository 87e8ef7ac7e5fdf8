"""Offers by case: rebuilding one case's offers (repair, a move to another version) deletes them
by instance id, which scanned every offer without this index.

Revision ID: 0012
Revises: 0011
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_human_task_group_instance_id", "human_task_group", ["instance_id"])


def downgrade() -> None:
    op.drop_index("ix_human_task_group_instance_id", table_name="human_task_group")
