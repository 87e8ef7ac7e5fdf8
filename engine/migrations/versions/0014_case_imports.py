"""Ledger imports: a business key (case number) is unique per process, and import jobs keep
their progress where every web process can read it.

Cases that share a business key within one process from before this revision keep the key on
the first of them; each later one gets its key followed by "#<case id>" so the unique index can
be built (their history keeps the key they were started with).

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    instance = sa.table("instance", sa.column("id", sa.Integer()), sa.column("process_key", sa.String()),
                        sa.column("business_key", sa.String()))
    bind = op.get_bind()
    seen: set[tuple[str, str]] = set()
    rows = bind.execute(sa.select(instance.c.id, instance.c.process_key, instance.c.business_key)
                        .where(instance.c.business_key.is_not(None)).order_by(instance.c.id)).all()
    for row_id, process_key, key in rows:
        if (process_key, key) in seen:
            bind.execute(instance.update().where(instance.c.id == row_id)
                         .values(business_key=f"{key}#{row_id}"[:200]))
        else:
            seen.add((process_key, key))
    with op.batch_alter_table("instance") as batch_op:
        batch_op.create_index("uq_instance_process_business_key", ["process_key", "business_key"], unique=True)
    op.create_table(
        "import_job",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("process_key", sa.String(200), nullable=False),
        sa.Column("file_name", sa.String(300), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("campaign_id", sa.String(200), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
    )
    op.create_index("ix_import_job_sha256", "import_job", ["sha256"])


def downgrade() -> None:
    op.drop_index("ix_import_job_sha256", table_name="import_job")
    op.drop_table("import_job")
    with op.batch_alter_table("instance") as batch_op:
        batch_op.drop_index("uq_instance_process_business_key")
