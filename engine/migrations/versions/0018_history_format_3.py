"""History format 3 (engine/chain.py): the event hash and the state digests as bytes, and no
second index on event.instance_id (the unique index on instance_id, seq serves those reads).

Plain ADD COLUMN and DROP INDEX (no table copy): the append-only triggers on event stay, and
no stored event is rewritten; events of formats 1 and 2 keep their text hashes.

Revision ID: 0018
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("event", sa.Column("digest", sa.LargeBinary(), nullable=True))
    op.add_column("event", sa.Column("seal", sa.LargeBinary(), nullable=True))
    op.drop_index("ix_event_instance_id", table_name="event")


def downgrade() -> None:
    op.create_index("ix_event_instance_id", "event", ["instance_id"], unique=False)
    op.drop_column("event", "seal")
    op.drop_column("event", "digest")
