"""Rates and dashboards count on columns, not on each case's JSON data: when the case was
closed (and whether by procedure), reopened, stopped petitioning; whether the rates count it;
its subject, leader and handler. Existing cases are filled in from their data and history.

Revision ID: 0015
Revises: 0014
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_COLUMNS: list[tuple[str, Any, bool]] = [
    ("closed_at", sa.DateTime(timezone=True), False),
    ("reopened_at", sa.DateTime(timezone=True), False),
    ("stopped_at", sa.DateTime(timezone=True), False),
    ("subject", sa.String(100), False),
    ("case_leader", sa.String(200), False),
    ("case_handler", sa.String(200), False),
]
#: The dashboard's covering index (engine/models.py says why).
FIGURES_INDEX = ("counted", "campaign_id", "started_at", "closed_at", "closed_by_procedure", "reopened_at",
                 "stopped_at", "risk_colour", "case_class", "subject", "case_leader", "case_handler")
_REOPEN_STEPS = ("reopen_backlog_case", "reopen_for_rehandling")


def upgrade() -> None:
    # Plain ALTER TABLE (no batch copy): SQLite adds and drops these columns in place, and
    # copying the instance table would trip the foreign keys that point at it.
    for name, kind, _ in _COLUMNS:
        op.add_column("instance", sa.Column(name, kind, nullable=True))
    op.add_column("instance", sa.Column("closed_by_procedure", sa.Boolean(), nullable=False, server_default="0"))
    op.add_column("instance", sa.Column("reopens", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("instance", sa.Column("counted", sa.Boolean(), nullable=False, server_default="1"))
    for name, _, indexed in _COLUMNS:
        if indexed:
            op.create_index(f"ix_instance_{name}", "instance", [name])
    op.create_index("ix_instance_figures", "instance", list(FIGURES_INDEX))
    op.create_index("ix_instance_counted_by_id", "instance", ["id", "counted", "campaign_id", "started_at"])
    _fill_in()


def _fill_in() -> None:
    """The columns of existing cases, as the recorder would have set them (a reopening's time
    from the history event of the reopening step; a stop from the case's last save)."""
    # Imported here: the recorder's copy is the one definition of what each column holds.
    from engine.case_columns import copy_case_columns
    from engine.models import Instance

    stamp = sa.DateTime(timezone=True)
    instance = sa.table(
        "instance", sa.column("id", sa.Integer()), sa.column("data", sa.JSON()), sa.column("updated_at", stamp),
        sa.column("process_key", sa.String()),
        *[sa.column(name, kind) for name, kind, _ in _COLUMNS], sa.column("closed_by_procedure", sa.Boolean()),
        sa.column("reopens", sa.Integer()), sa.column("counted", sa.Boolean()))
    event = sa.table("event", sa.column("instance_id", sa.Integer()), sa.column("type", sa.String()),
                     sa.column("element_id", sa.String()), sa.column("at", stamp))
    bind = op.get_bind()
    rows = bind.execute(sa.select(instance.c.id, instance.c.data, instance.c.updated_at, instance.c.process_key))
    for row_id, data, updated, process_key in rows.all():
        if not isinstance(data, dict):
            continue
        case = Instance(reopens=0, process_key=process_key)
        copy_case_columns(case, data, updated)
        case.reopened_at = bind.execute(sa.select(sa.func.max(event.c.at)).where(
            event.c.instance_id == row_id, event.c.type == "element_completed",
            event.c.element_id.in_(_REOPEN_STEPS))).scalar() if case.reopens else None
        bind.execute(instance.update().where(instance.c.id == row_id).values(
            closed_at=case.closed_at, reopened_at=case.reopened_at, stopped_at=case.stopped_at,
            subject=case.subject, case_leader=case.case_leader, case_handler=case.case_handler,
            closed_by_procedure=case.closed_by_procedure, reopens=case.reopens, counted=case.counted))


def downgrade() -> None:
    op.drop_index("ix_instance_figures", table_name="instance")
    op.drop_index("ix_instance_counted_by_id", table_name="instance")
    for name, _, indexed in _COLUMNS:
        if indexed:
            op.drop_index(f"ix_instance_{name}", table_name="instance")
    for name in ("counted", "reopens", "closed_by_procedure", *reversed([c[0] for c in _COLUMNS])):
        op.drop_column("instance", name)
