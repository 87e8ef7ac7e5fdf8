"""The ledger counts petitions refused as final: instance.final_petitions, copied from the case
data's final_petition_count at every save (existing cases are filled in from their data).

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("instance") as batch_op:
        batch_op.add_column(sa.Column("final_petitions", sa.Integer(), nullable=False, server_default="0"))
    instance = sa.table("instance", sa.column("id", sa.Integer()), sa.column("data", sa.JSON()),
                        sa.column("final_petitions", sa.Integer()))
    bind = op.get_bind()
    for row_id, data in bind.execute(sa.select(instance.c.id, instance.c.data)).all():
        count = (data or {}).get("final_petition_count") if isinstance(data, dict) else None
        if isinstance(count, int) and not isinstance(count, bool) and 0 < count < 2**31:
            bind.execute(instance.update().where(instance.c.id == row_id).values(final_petitions=count))


def downgrade() -> None:
    with op.batch_alter_table("instance") as batch_op:
        batch_op.drop_column("final_petitions")
