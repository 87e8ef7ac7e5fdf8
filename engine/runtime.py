"""Running a loaded workflow: steps, guards against SpiffWorkflow traps, and what changed.

A `Run` wraps one BpmnWorkflow for one operation. It snapshots task states before the
operation and, after it, reports what changed (the `Outcome`): element state changes, the
case data they produced, the assignee and due date of each new human task (evaluated from
the diagram's expressions), moved deadlines and the waiting timers. The recorder writes
that down in the operation's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.specs.Join import Join
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from .clock import using_clock
from .expressions import Expressions, expression_names
from .forms import process_defaults
from .scripting import ScriptFailed, using_case_data

# SpiffWorkflow's task iterators stop at depth 1,000 and then report a workflow as
# completed while work is left. Refuse well before that. Compaction (below) keeps trees of
# long-running instances shallow between operations; this guard is the backstop for a loop
# that runs hundreds of times inside one operation, which compaction cannot shorten.
MAX_TREE_DEPTH = 900
# Compaction cuts the completed trunk of a task tree once it is longer than COMPACT_ABOVE
# levels, keeping the KEEP_LEVELS completed levels nearest the work still open.
COMPACT_ABOVE = 48
KEEP_LEVELS = 8
_MISSING = object()


class Incident(Exception):
    """A script, condition or engine guard failed at an element; the instance goes to error."""

    def __init__(self, element_id: str | None, message: str) -> None:
        self.element_id = element_id
        self.message = message
        super().__init__(f"{element_id}: {message}" if element_id else message)


@dataclass
class Change:
    """One element instance whose state changed during the operation.

    `human` says whether it is a person's task; `delta` is what it changed in the case data
    when it completed (before, after per key); `assignee` and `due_at` are what its
    expressions said when it became ready.
    """

    task: Task
    element_id: str
    before: int | None
    after: int
    human: bool = False
    delta: dict[str, list[Any]] = field(default_factory=dict)
    assignee: str | None = None
    due_at: datetime | None = None


@dataclass
class Outcome:
    """What an operation did, for the recorder to write down.

    - changes: element instances whose state changed, in the order they changed.
    - data: the case data after the operation.
    - due_dates: new due dates of people's tasks that were open before and stay open, where
      the data their due-date expression reads changed.
    - timers: every waiting timer (task id -> element id, due time).
    - completed: an end event was reached.
    - unhandled: signals and messages nothing waited for.
    - incident: what failed, if anything; the instance then goes to error.
    """

    changes: list[Change] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    due_dates: dict[str, datetime] = field(default_factory=dict)
    timers: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    completed: bool = False
    unhandled: list[str] = field(default_factory=list)
    incident: Incident | None = None


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


def compact(workflow: BpmnWorkflow) -> int:
    """Drop the completed part of the task tree that nothing can reach again; the number dropped.

    History lives in the event table, so the state need not keep every completed task. The
    trunk is the chain of completed tasks from the root down to where the open work
    branches: each trunk task has exactly one child with work below it (the rest of its
    children are finished through and through). Trunk tasks far above the open work are
    dropped with their finished side branches, and the task `KEEP_LEVELS` above becomes the
    root. Kept: every open task and all its ancestors up to there (a boundary event's
    parent, a waiting join and its split, a running sub-process or multi-instance task
    branch out, so they end the trunk), the parents whose data new tasks inherit, and the
    previous join instances a looping join compares itself with. The new root is never a
    join (a join reads its parent). Sub-process workflows are compacted the same way.
    """
    dropped = _compact_tree(workflow, workflow)
    for sub in list(workflow.subprocesses.values()):
        dropped += _compact_tree(workflow, sub)
    return dropped


def _compact_tree(top: BpmnWorkflow, workflow: Any) -> int:
    tasks: dict[UUID, Task] = workflow.tasks
    # Open: an unfinished task (or one still owning a sub-process) and all its ancestors.
    open_ids: set[UUID] = set()
    for task in tasks.values():
        if task.has_state(TaskState.FINISHED_MASK) and task.id not in top.subprocesses:
            continue
        node: Task | None = task
        while node is not None and node.id not in open_ids:
            open_ids.add(node.id)
            node = tasks.get(node._parent) if node._parent is not None else None
    trunk: list[Task] = []
    node = workflow.task_tree
    while node is not None and node.state == TaskState.COMPLETED:
        ahead = [c for c in node._children if c in open_ids]
        if len(ahead) != 1:
            break
        trunk.append(node)
        node = tasks.get(ahead[0])
    if len(trunk) <= COMPACT_ABOVE:
        return 0
    cut = len(trunk) - KEEP_LEVELS
    while cut > 0 and isinstance(trunk[cut].task_spec, Join):
        cut -= 1
    root = trunk[cut]
    kept: set[UUID] = set()
    pending = [root.id]
    while pending:
        tid = pending.pop()
        kept.add(tid)
        pending.extend(tasks[tid]._children)
    gone = [t for tid, t in tasks.items() if tid not in kept]
    for task in gone:
        if task.id in top.subprocesses:
            top.delete_subprocess(task)
        del tasks[task.id]
    root._parent = None
    workflow.task_tree = root
    if workflow.last_task is not None and workflow.last_task.id not in kept:
        workflow.last_task = None
    return len(gone)


def is_timer(task: Task) -> bool:
    """True for a timer event (date, duration or cycle)."""
    return isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition)


def is_human(task: Task, meta: dict[str, Any]) -> bool:
    """True for a person's task (a user or manual task)."""
    return meta.get("type") in ("userTask", "manualTask") or bool(task.task_spec.manual)


def data_delta(task: Task, current: dict[str, Any]) -> dict[str, list[Any]]:
    """What this task itself changed in the case data (not what it inherited)."""
    parent = task.parent.data if task.parent is not None else {}
    delta: dict[str, list[Any]] = {}
    for key, value in task.data.items():
        if key.startswith("_") or key == "data_objects":
            continue
        if parent.get(key, _MISSING) != value and current.get(key, _MISSING) != value:
            delta[key] = [current.get(key), value]
    return delta


def waits_on_timer(task: Task) -> bool:
    """True when a task waits on a timer: a timer event, or an event-based gateway (or multiple
    event) one of whose events is a timer."""
    definition = getattr(task.task_spec, "event_definition", None)
    if isinstance(definition, MultipleEventDefinition):
        return any(isinstance(d, TimerEventDefinition) for d in definition.event_definitions)
    return isinstance(definition, TimerEventDefinition)


def fired_by_timer(task: Task) -> bool:
    """True when a completed task was set off by a timer: a timer event, or an event-based
    gateway whose timer came before its other events."""
    if is_timer(task):
        return True
    seen = task.internal_data.get("seen_events") or []
    return waits_on_timer(task) and any(isinstance(e.event_definition, TimerEventDefinition) for e in seen)


def timer_due(task: Task) -> datetime | None:
    """When a waiting timer task comes due, from SpiffWorkflow's internal data."""
    if not waits_on_timer(task):
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
    """One operation on one loaded workflow, under the engine clock.

    Each operation (`step`, `refresh_timers`, `complete`) returns the `Outcome`: what changed,
    the case data after it, and what the diagram's expressions say about the people's tasks.
    A failure does not raise: it is the outcome's `incident`.
    """

    def __init__(
        self,
        workflow: BpmnWorkflow,
        clock: Callable[[], datetime],
        *,
        elements: dict[str, Any],
        expressions: Expressions,
        case_data: dict[str, Any],
        form_defaults: dict[str, Any] | None = None,
    ) -> None:
        self.workflow = workflow
        self.clock = clock
        self.elements = elements
        self.expressions = expressions
        self.case_data = case_data
        # What expressions read for form fields nobody has filled yet (docs/forms.md).
        self.form_defaults = process_defaults(elements) if form_defaults is None else form_defaults
        self._before = {t.id: t.state for t in all_tasks(workflow)}

    def step(self) -> Outcome:
        """Run engine tasks (scripts, gateways, events) until only people or timers are left."""
        return self._operate(self.workflow.do_engine_steps)

    def refresh_timers(self) -> Outcome:
        """Fire every timer due at the clock, then step."""
        def refresh() -> None:
            self.workflow.refresh_timers()
            self.workflow.do_engine_steps()

        return self._operate(refresh)

    def complete(self, task: Task, data: dict[str, Any]) -> Outcome:
        """Complete a ready human task with `data`, then step.

        What the person entered is recorded in the task's delta even where it equals earlier data.
        """
        def run() -> None:
            task.data.update(data)
            task.run()
            self.workflow.do_engine_steps()

        return self._operate(run, completing=str(task.id), form_data=data)

    def operate(self, action: Callable[[], Any]) -> Outcome:
        """Run `action` on the workflow (a message delivered to it), then step."""
        def run() -> None:
            action()
            self.workflow.do_engine_steps()

        return self._operate(run)

    def finish(self, task: Task, data: dict[str, Any]) -> Outcome:
        """Complete a started engine task (a service task a worker did) with its output `data`, then step."""
        def run() -> None:
            task.data.update(data)
            task.complete()
            self.workflow.do_engine_steps()

        return self._operate(run)

    def _operate(
        self, action: Callable[[], Any], *, completing: str | None = None, form_data: dict[str, Any] | None = None
    ) -> Outcome:
        incident: Incident | None = None
        try:
            self._guard(action)
            self._check_depth()
        except Incident as exc:
            incident = exc
        try:
            out = self._outcome(completing, form_data or {})
        except Incident as exc:
            out = Outcome(data=dict(self.case_data))
            incident = incident or exc
        out.incident = incident
        if incident is not None:
            # A failed operation sets no timers and moves no deadline: the instance waits for a retry.
            out.timers, out.due_dates = {}, {}
        return out

    def _guard(self, action: Callable[[], Any]) -> Any:
        try:
            with using_clock(self.clock), using_case_data(self.case_data, self.form_defaults):
                return action()
        except (SpiffWorkflowException, ScriptFailed) as exc:
            raise self._incident(exc) from exc
        except RecursionError as exc:
            raise Incident(None, "the task tree is too deep (a loop ran too many times)") from exc
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            # SpiffWorkflow itself tripping over case data (a multi-instance input that is not a
            # list, say): an incident to fix and retry, not a crash of the caller.
            raise Incident(None, f"the workflow engine failed: {type(exc).__name__}: {exc}") from exc

    def _incident(self, exc: Exception) -> Incident:
        task = getattr(exc, "task", None)
        element = element_id(task) if task is not None else None
        if task is not None and task.state == TaskState.ERROR:
            # Keep the state as it was before the failing element: it can be retried.
            task._set_state(TaskState.READY)
        for t in all_tasks(self.workflow):
            if t.state == TaskState.ERROR:
                t._set_state(TaskState.READY)
        message = str(exc).strip().rstrip(".")
        # The cause (a NameError in a condition, a script's failure) says what to fix: keep it.
        # SpiffWorkflow raises its own exception inside the handler: the cause is its context.
        cause = exc.__cause__ or exc.__context__
        while isinstance(cause, SpiffWorkflowException) and (cause.__cause__ or cause.__context__):
            cause = cause.__cause__ or cause.__context__
        if cause is not None and cause is not exc:
            detail = str(cause) if isinstance(cause, ScriptFailed) else f"{type(cause).__name__}: {cause}"
            if detail not in message:
                message = f"{message}: {detail}"
        return Incident(element, message)

    def _check_depth(self) -> None:
        tasks = all_tasks(self.workflow)
        # A tree of n tasks is at most n deep: a small tree need not be walked.
        if len(tasks) > MAX_TREE_DEPTH and max_depth(tasks) > MAX_TREE_DEPTH:
            raise Incident(
                None,
                f"the task tree is deeper than {MAX_TREE_DEPTH} (a loop ran hundreds of times); "
                "the engine stopped it instead of losing work",
            )

    def _outcome(self, completing: str | None, form_data: dict[str, Any]) -> Outcome:
        """Changes since the snapshot, the case data after them, waiting timers."""
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
        data = dict(self.case_data)
        for change in out.changes:
            meta = self.elements.get(change.element_id, {})
            change.human = is_human(change.task, meta)
            if change.after == TaskState.COMPLETED:
                change.delta = data_delta(change.task, data)
                if change.human and str(change.task.id) == completing:
                    for key, value in form_data.items():
                        change.delta.setdefault(key, [data.get(key), value])
                for key, (_before, value) in change.delta.items():
                    data[key] = value
            elif change.after == TaskState.READY and change.human:
                change.assignee = self.expressions.assignee(change.task, meta, data)
                change.due_at = self.expressions.due_at(change.task, meta, data)
        out.data = data
        out.due_dates = self._moved_due_dates(tasks, data)
        out.timers = waiting_timers(self.workflow)
        out.completed = bool(self.workflow.is_completed())
        if out.completed and not any(
            t.state == TaskState.COMPLETED and type(t.task_spec).__name__ == "EndEvent"
            for t in self.workflow.tasks.values()
        ):
            raise Incident(None, "the engine reports completion but no end event was reached")
        return out

    def _moved_due_dates(self, tasks: list[Task], data: dict[str, Any]) -> dict[str, datetime]:
        """Open tasks whose due-date expression reads data that just changed get the new date
        (e.g. an approved extension moves the handling tasks' deadline)."""
        changed = {key for key, value in data.items() if self.case_data.get(key, _MISSING) != value}
        if not changed:
            return {}
        moved: dict[str, datetime] = {}
        for task in tasks:
            if task.state != TaskState.READY or self._before.get(task.id) != TaskState.READY:
                continue
            ident = element_id(task)
            meta = self.elements.get(ident, {}) if ident else {}
            expression = meta.get("due_date")
            if not is_human(task, meta) or not expression or not (expression_names(expression) & changed):
                continue
            due = self.expressions.due_at(task, meta, data)
            if due is not None:
                moved[str(task.id)] = due
        return moved


def ready_human_tasks(workflow: BpmnWorkflow, elements: dict[str, Any]) -> list[Task]:
    """Every person's task ready in the workflow (what the task index must show as open)."""
    found = []
    for task in all_tasks(workflow):
        ident = element_id(task)
        if ident is not None and task.state == TaskState.READY and is_human(task, elements.get(ident, {})):
            found.append(task)
    return found


def waiting_timers(workflow: BpmnWorkflow) -> dict[str, tuple[str, datetime]]:
    """Every waiting timer of the workflow: task id -> element id, due time."""
    found: dict[str, tuple[str, datetime]] = {}
    for task in all_tasks(workflow):
        ident = element_id(task)
        if ident is not None and task.state == TaskState.WAITING and isinstance(task.task_spec, CatchingEvent):
            due = timer_due(task)
            if due is not None:
                found[str(task.id)] = (ident, due)
    return found
