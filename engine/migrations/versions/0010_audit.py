"""The audit: history format 2 (state digests in each event), the operation log and signed
checkpoints; the database refuses UPDATE and DELETE on both new tables, as on events.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_APPEND_ONLY = ("operation", "checkpoint")


def upgrade() -> None:
    # Plain ADD COLUMN (no table copy): the append-only triggers on event stay as they are.
    op.add_column("event", sa.Column("format", sa.Integer(), nullable=False, server_default="1"))
    op.add_column("event", sa.Column("data_digest", sa.String(64), nullable=True))
    op.add_column("event", sa.Column("tasks_digest", sa.String(64), nullable=True))
    op.create_table(
        "operation",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("seq", sa.Integer(), nullable=False, unique=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("actor", sa.String(200), nullable=False, index=True),
        sa.Column("address", sa.String(100), nullable=True),
        sa.Column("action", sa.String(60), nullable=False, index=True),
        sa.Column("target", sa.String(400), nullable=True, index=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "checkpoint",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("root", sa.String(64), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("heads", sa.Text(), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute(
            """
            CREATE FUNCTION anjie_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
            END;
            $$ LANGUAGE plpgsql
            """
        )
    for table in _APPEND_ONLY:
        if postgres:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION anjie_append_only()")
        else:
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {action} refused'); END"
                )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in _APPEND_ONLY:
        if postgres:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        else:
            op.execute(f"DROP TRIGGER {table}_no_update")
            op.execute(f"DROP TRIGGER {table}_no_delete")
        op.drop_table(table)
    if postgres:
        op.execute("DROP FUNCTION anjie_append_only()")
    with op.batch_alter_table("event") as batch_op:
        batch_op.drop_column("tasks_digest")
        batch_op.drop_column("data_digest")
        batch_op.drop_column("format")
