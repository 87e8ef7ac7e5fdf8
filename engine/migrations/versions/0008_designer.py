"""The process designer: a change note on each deployed version, and designers' drafts.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deployment") as batch_op:
        batch_op.add_column(sa.Column("change_note", sa.Text(), nullable=True))
    op.create_table(
        "design_draft",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("name", sa.String(400), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("process_key", sa.String(200), nullable=True),
        sa.Column("base_version", sa.Integer(), nullable=True),
        sa.Column("source", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_design_draft_owner", "design_draft", ["owner"])


def downgrade() -> None:
    op.drop_index("ix_design_draft_owner", table_name="design_draft")
    op.drop_table("design_draft")
    with op.batch_alter_table("deployment") as batch_op:
        batch_op.drop_column("change_note")
