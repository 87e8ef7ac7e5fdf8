"""The task, offer, timer and external-task indexes of many instances rebuilt at once, in bulk.

`recorder.rebuild_indexes` does one instance through the ORM; a bulk move of thousands of
instances to another version (engine/migration.py) gathers what each moved workflow says and
writes the indexes of a whole chunk with a few Core statements in the chunk's transaction: one
select of the existing rows, one executemany per kind of change. The result is the same as
calling `rebuild_indexes` and `sync_external_tasks` per instance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState as SpiffState
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from .expressions import Expressions
from .models import ExternalTask, HumanTask, Instance, TaskGroup, Timer
from .runtime import all_tasks, element_id, ready_human_tasks, waiting_timers
from .states import TaskState

_TASKS = HumanTask.metadata.tables[HumanTask.__tablename__]
_OFFERS = TaskGroup.metadata.tables[TaskGroup.__tablename__]
_TIMERS = Timer.metadata.tables[Timer.__tablename__]
_EXTERNAL = ExternalTask.metadata.tables[ExternalTask.__tablename__]


@dataclass
class _Moved:
    inst: Instance
    workflow: BpmnWorkflow
    elements: dict[str, Any]


@dataclass
class BulkIndexes:
    """Collects moved instances, then writes all their indexes with `write`."""

    expressions: Expressions
    now: datetime
    moved: list[_Moved] = field(default_factory=list)
    #: What to do once the indexes are written (the history event that seals them).
    then: list[Callable[[], object]] = field(default_factory=list)

    def add(self, inst: Instance, workflow: BpmnWorkflow, elements: dict[str, Any],
            then: Callable[[], object] | None = None) -> None:
        self.moved.append(_Moved(inst, workflow, elements))
        if then is not None:
            self.then.append(then)

    def write(self, s: Session) -> None:
        """Make the indexes of every added instance say what its workflow says."""
        if not self.moved:
            return
        ids = [m.inst.id for m in self.moved]
        existing: dict[int, dict[str, Any]] = {i: {} for i in ids}
        for row in s.execute(select(_TASKS.c.id, _TASKS.c.instance_id, _TASKS.c.state, _TASKS.c.completed_at,
                                    _TASKS.c.assignee, _TASKS.c.due_at, _TASKS.c.candidate_groups)
                             .where(_TASKS.c.instance_id.in_(ids))):
            existing[row.instance_id][row.id] = row
        external: dict[int, set[str]] = {i: set() for i in ids}
        for row in s.execute(select(_EXTERNAL.c.id, _EXTERNAL.c.instance_id).where(_EXTERNAL.c.instance_id.in_(ids))):
            external[row.instance_id].add(row.id)
        closed: list[dict[str, Any]] = []
        reopened: list[dict[str, Any]] = []
        new_tasks: list[dict[str, Any]] = []
        offers: list[dict[str, Any]] = []
        timers: list[dict[str, Any]] = []
        new_external: list[dict[str, Any]] = []
        gone_external: list[str] = []
        for m in self.moved:
            inst, rows = m.inst, existing[m.inst.id]
            data = dict(inst.data or {})
            tasks = {str(t.id): t for t in all_tasks(m.workflow)}
            ready = {str(t.id): t for t in ready_human_tasks(m.workflow, m.elements)}
            for tid, row in rows.items():
                if row.state == TaskState.READY and tid not in ready:
                    spiff = tasks.get(tid)
                    done = spiff is not None and spiff.state == SpiffState.COMPLETED
                    closed.append({"b_id": tid, "b_state": TaskState.COMPLETED if done else TaskState.CANCELLED,
                                   "b_at": row.completed_at or self.now})
            for tid, task in ready.items():
                held = rows.get(tid)
                if held is not None:
                    reopened.append({"b_id": tid})
                    assignee, due, groups = held.assignee, held.due_at, list(held.candidate_groups or [])
                else:
                    ident = element_id(task) or ""
                    meta = m.elements.get(ident, {})
                    assignee = self.expressions.assignee(task, meta, data)
                    due = self.expressions.due_at(task, meta, data)
                    groups = list(meta.get("candidate_groups") or [])
                    new_tasks.append(dict(
                        id=tid, instance_id=inst.id, process_key=inst.process_key, element_id=ident,
                        name=meta.get("name") or task.task_spec.bpmn_name, lane=meta.get("lane"),
                        assignee=assignee, candidate_groups=groups, due_at=due, state=TaskState.READY,
                        created_at=self.now, completed_at=None, completed_by=None))
                offers += [dict(task_id=tid, group_name=g, instance_id=inst.id, due_at=due, open=assignee is None)
                           for g in groups]
            timers += [dict(id=tid, instance_id=inst.id, element_id=timer_element, due_at=when)
                       for tid, (timer_element, when) in waiting_timers(m.workflow).items()]
            waiting = set()
            for task in tasks.values():
                service = element_id(task)
                topic = m.elements.get(service or "", {}).get("topic")
                if topic is None or task.state != SpiffState.STARTED:
                    continue
                tid = str(task.id)
                waiting.add(tid)
                if tid not in external[inst.id]:
                    new_external.append(dict(
                        id=tid, instance_id=inst.id, element_id=service, topic=topic, created_at=self.now,
                        data={k: v for k, v in task.data.items() if not k.startswith("_") and k != "data_objects"}))
            gone_external += [tid for tid in external[inst.id] if tid not in waiting]
        if closed:
            s.execute(update(_TASKS).where(_TASKS.c.id == bindparam("b_id"))
                      .values(state=bindparam("b_state"), completed_at=bindparam("b_at")), closed)
        if reopened:
            s.execute(update(_TASKS).where(_TASKS.c.id == bindparam("b_id"))
                      .values(state=TaskState.READY, completed_at=None, completed_by=None), reopened)
        s.execute(delete(_OFFERS).where(_OFFERS.c.instance_id.in_(ids)))
        s.execute(delete(_TIMERS).where(_TIMERS.c.instance_id.in_(ids)))
        if gone_external:
            s.execute(delete(_EXTERNAL).where(_EXTERNAL.c.id.in_(gone_external)))
        if new_tasks:
            s.execute(insert(_TASKS), new_tasks)
        if offers:
            s.execute(insert(_OFFERS), offers)
        if timers:
            s.execute(insert(_TIMERS), timers)
        if new_external:
            s.execute(insert(_EXTERNAL), new_external)
        self.moved.clear()
        then, self.then = self.then, []
        for step in then:
            step()
