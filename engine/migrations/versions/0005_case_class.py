"""The case's A/B/C class is called `case_class`, as in the glossary (was `risk_class`).

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    _rename("risk_class", "case_class")


def downgrade() -> None:
    _rename("case_class", "risk_class")


def _rename(old: str, new: str) -> None:
    # The index is dropped before and created after the rename, in a second batch: SQLite's
    # batch mode copies the table and would look for the new column in the old copy.
    with op.batch_alter_table("instance") as batch_op:
        batch_op.drop_index(f"ix_instance_{old}")
        batch_op.alter_column(old, new_column_name=new)
    with op.batch_alter_table("instance") as batch_op:
        batch_op.create_index(f"ix_instance_{new}", [new])
