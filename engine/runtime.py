"""Running a loaded workflow: steps, guards against SpiffWorkflow traps, and what changed.

A `Run` wraps one BpmnWorkflow for one operation. It snapshots task states before the
operation and, after it, reports what changed as history events, the ready human tasks
and the waiting timers, so the service can write them in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from .clock import using_clock
from .scripting import ScriptFailed

# SpiffWorkflow's task iterators stop at depth 1,000 and then report a workflow as
# completed while work is left. Refuse well before that.
MAX_TREE_DEPTH = 900
HUMAN_TYPES = {"userTask", "manualTask"}


class Incident(Exception):
    """A script, condition or engine guard failed at an element; the instance goes to error."""

    def __init__(self, element_id: str | None, message: str) -> None:
        self.element_id = element_id
        self.message = message
        super().__init__(f"{element_id}: {message}" if element_id else message)


@dataclass
class Change:
    """One element instance whose state changed during the operation."""

    task: Task
    element_id: str
    before: int | None
    after: int


@dataclass
class Outcome:
    """What an operation did, for the service to persist."""

    changes: list[Change] = field(default_factory=list)
    ready_human: list[Task] = field(default_factory=list)
    timers: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    completed: bool = False
    unhandled: list[str] = field(default_factory=list)


def all_tasks(workflow: BpmnWorkflow) -> list[Task]:
    """Every task of the workflow and its sub-processes, without depth-limited iterators."""
    tasks = list(workflow.tasks.values())
    for sub in workflow.subprocesses.values():
        tasks.extend(sub.tasks.values())
    return tasks


def element_id(task: Task) -> str | None:
    """The BPMN element id of a task, or None for SpiffWorkflow's internal specs."""
    bpmn_id = getattr(task.task_spec, "bpmn_id", None)
    return str(bpmn_id) if bpmn_id else None


def max_depth(tasks: list[Task]) -> int:
    depth: dict[UUID, int] = {}
    best = 0
    for task in tasks:
        chain = []
        node: Task | None = task
        while node is not None and node.id not in depth:
            chain.append(node)
            node = node.parent if node._parent is not None else None
        base = depth[node.id] if node is not None else -1
        for n in reversed(chain):
            base += 1
            depth[n.id] = base
        best = max(best, depth[task.id])
    return best


def timer_due(task: Task) -> datetime | None:
    """When a waiting timer task comes due, from SpiffWorkflow's internal data."""
    definition = getattr(task.task_spec, "event_definition", None)
    if not isinstance(definition, TimerEventDefinition):
        return None
    value = task._get_internal_data("event_value")
    if isinstance(value, dict):
        if value.get("cycles", 0) == 0:
            return None
        value = value.get("next")
    if value is None:
        return None
    try:
        due = TimerEventDefinition.get_datetime(value) if isinstance(value, str) else value
    except Exception:  # a value Spiff itself could not parse: fire at the next sweep
        return None
    if not isinstance(due, datetime):
        return None
    return due if due.tzinfo else due.replace(tzinfo=UTC)


class Run:
    """One operation on one loaded workflow, under the engine clock."""

    def __init__(self, workflow: BpmnWorkflow, clock: Callable[[], datetime]) -> None:
        self.workflow = workflow
        self.clock = clock
        self._before = {t.id: t.state for t in all_tasks(workflow)}

    def _guard(self, action: Callable[[], Any]) -> Any:
        try:
            with using_clock(self.clock):
                return action()
        except (SpiffWorkflowException, ScriptFailed) as exc:
            raise self._incident(exc) from exc
        except RecursionError as exc:
            raise Incident(None, "the task tree is too deep (a loop ran too many times)") from exc

    def _incident(self, exc: Exception) -> Incident:
        task = getattr(exc, "task", None)
        element = element_id(task) if task is not None else None
        if task is not None and task.state == TaskState.ERROR:
            # Keep the state as it was before the failing element: it can be retried.
            task._set_state(TaskState.READY)
        for t in all_tasks(self.workflow):
            if t.state == TaskState.ERROR:
                t._set_state(TaskState.READY)
        cause = exc.__cause__ or getattr(exc, "exception", None) or exc
        message = str(exc)
        if isinstance(cause, ScriptFailed) and str(cause) not in message:
            message = f"{message}: {cause}"
        return Incident(element, message)

    def step(self) -> None:
        """Run engine tasks (scripts, gateways, events) until only people or timers are left."""
        self._guard(self.workflow.do_engine_steps)
        self._check_depth()

    def refresh_timers(self) -> None:
        """Fire every timer due at the clock, then step."""
        def refresh() -> None:
            self.workflow.refresh_timers()
            self.workflow.do_engine_steps()

        self._guard(refresh)
        self._check_depth()

    def complete(self, task: Task, data: dict[str, Any]) -> None:
        """Complete a ready human task with `data`, then step."""
        def run() -> None:
            task.data.update(data)
            task.run()
            self.workflow.do_engine_steps()

        self._guard(run)
        self._check_depth()

    def _check_depth(self) -> None:
        if max_depth(all_tasks(self.workflow)) > MAX_TREE_DEPTH:
            raise Incident(
                None,
                f"the task tree is deeper than {MAX_TREE_DEPTH} (a loop ran hundreds of times); "
                "the engine stopped it instead of losing work",
            )

    def outcome(self) -> Outcome:
        """Changes since the snapshot, ready human tasks and waiting timers."""
        out = Outcome()
        # Signals and messages nothing in the instance waited for: SpiffWorkflow keeps them
        # for the caller, and would keep them (in every save) for ever if nobody took them.
        out.unhandled = [str(getattr(e.event_definition, "name", "")) for e in self.workflow.get_events()]
        tasks = all_tasks(self.workflow)
        for task in tasks:
            before = self._before.get(task.id)
            if before == task.state:
                continue
            ident = element_id(task)
            if ident is None:
                continue
            out.changes.append(Change(task, ident, before, task.state))
        out.changes.sort(key=lambda c: (c.task.last_state_change or 0))
        for task in tasks:
            ident = element_id(task)
            if ident is None:
                continue
            if task.state == TaskState.READY and task.task_spec.manual:
                out.ready_human.append(task)
            if task.state == TaskState.WAITING and isinstance(task.task_spec, CatchingEvent):
                due = timer_due(task)
                if due is not None:
                    out.timers[str(task.id)] = (ident, due)
        out.completed = bool(self.workflow.is_completed())
        if out.completed and not any(
            t.state == TaskState.COMPLETED and type(t.task_spec).__name__ == "EndEvent"
            for t in self.workflow.tasks.values()
        ):
            raise Incident(None, "the engine reports completion but no end event was reached")
        return out
