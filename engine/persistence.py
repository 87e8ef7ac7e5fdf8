"""Workflow state to and from JSON, with our own format version and upgrade functions.

Raw SpiffWorkflow stores the whole process spec inside every saved workflow. We store
the spec once per deployment and the instance state without it; specs are rebuilt once
per deployment and shared by every instance loaded in this process.

Format versions (the `serializer_version` column of `instance`):
- 1: SpiffWorkflow's own dict, spec and sub-process specs included.
- 2: the same without `spec` and `subprocess_specs` (they live on the deployment).
- 3: format 2 with the completed part of the task tree that nothing can reach again left
  out (`runtime.compact`): the root may be any task, and its parent is gone. A format-2
  state is compacted when it is loaded.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnSubWorkflowConverter,
    BpmnWorkflowConverter,
    TaskConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG as CAMUNDA_CONFIG
from SpiffWorkflow.dmn.parser.BpmnDmnParser import BpmnDmnParser
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from .dialects import register_all_dialects
from .runtime import compact

SERIALIZER_VERSION = 3
SPIFF_VERSION_KEY = "serializer_version"


class _Dump:
    """One `dump_state` call: each task's JSON text, spliced in where its placeholder stands.

    A settled task (`_settled`: finished, or predicted and still empty, and nothing about it
    changed) keeps the text it was written as on its workflow object (`_TASK_JSON`), so a warm workflow
    re-encodes only the tasks an operation touched. The placeholder carries a random nonce
    (one per process): no case data can look like one.
    """

    nonce = secrets.token_hex(8)  # one per process
    pattern = re.compile('"\\\\u0000' + nonce + '([0-9a-f-]{36})"')

    def __init__(self) -> None:
        self.parts: dict[str, str] = {}

    def placeholder(self, task_id: str, text: str) -> str:
        self.parts[task_id] = text
        return "\x00" + self.nonce + task_id

    def splice(self, text: str) -> str:
        return self.pattern.sub(lambda m: self.parts[m.group(1)], text)


_DUMP: ContextVar[_Dump | None] = ContextVar("anjie_dump", default=None)
_TASK_JSON = "_anjie_task_json"  # attribute of a workflow: task id -> (key, JSON text)


def _settled(task: Task) -> bool:
    """Whether a task's text is fixed by `_task_key` alone: with no data of its own (a future
    or predicted task, stored with no delta: `_TaskConverter`), or finished under a parent
    that is finished or predicted without data (a task's data is stored as its delta against
    its parent's)."""
    if not task.data and not task.internal_data:
        return True
    if not task.has_state(TaskState.FINISHED_MASK):
        return False
    parent = task.parent
    return parent is None or bool(parent.has_state(TaskState.FINISHED_MASK)) or (
        bool(parent.has_state(TaskState.PREDICTED_MASK)) and not parent.data)


def _task_key(task: Task) -> tuple[Any, ...]:
    # What a settled task's text depends on besides what `_settled` requires to be empty.
    parent = task.parent
    return (task.state, task.last_state_change, task.triggered, task._parent, tuple(task._children),
            None if parent is None else (parent.state, parent.last_state_change))


class _TaskConverter(TaskConverter):  # type: ignore[misc]
    """SpiffWorkflow's task converter, except that a task with no data of its own (a future or
    predicted task) is stored with an empty delta instead of one deleting each of its
    parent's keys: a third of a petition case's state was such lists. SpiffWorkflow's own
    `from_dict` reads both the same way (no delta: the task's data is its stored `data`, {}),
    so the format version stays."""

    def to_dict(self, task: Task) -> dict[str, Any]:
        if task.data or task.parent is None:
            return super().to_dict(task)  # type: ignore[no-any-return]
        return {
            "id": str(task.id),
            "parent": str(task._parent),
            "children": [str(child) for child in task._children],
            "last_state_change": task.last_state_change,
            "state": task.state,
            "task_spec": task.task_spec.name,
            "triggered": task.triggered,
            "internal_data": self.registry.convert(task.internal_data),
            "data": {},
            "delta": {},
        }


def _tasks_to_dict(converter: WorkflowConverter, workflow: Any) -> dict[str, Any]:
    """The workflow's tasks for `WorkflowConverter.to_dict`; inside `dump_state`, placeholders."""
    dump = _DUMP.get()
    if dump is None:
        return converter.mapping_to_dict(workflow.tasks)  # type: ignore[no-any-return]
    cache: dict[UUID, tuple[tuple[Any, ...], str]] = workflow.__dict__.setdefault(_TASK_JSON, {})
    out: dict[str, Any] = {}
    for tid, task in workflow.tasks.items():
        key = _task_key(task)
        hit = cache.get(tid)
        if hit is not None and hit[0] == key and _settled(task):  # a predicted task may have got data since
            text = hit[1]
        else:
            text = dumps(converter.registry.convert(task))
            if _settled(task):
                cache[tid] = (key, text)
            else:
                cache.pop(tid, None)
        sid = str(tid)
        out[sid] = dump.placeholder(sid, text)
    if len(cache) > len(workflow.tasks):  # tasks compacted away
        for gone in [tid for tid in cache if tid not in workflow.tasks]:
            del cache[gone]
    return out


def _workflow_dict(converter: WorkflowConverter, workflow: Any) -> dict[str, Any]:
    """`WorkflowConverter.to_dict`, the tasks from `_tasks_to_dict`."""
    return {
        "data": converter.registry.convert(converter.registry.clean(workflow.data)),
        "correlations": workflow.correlations,
        "last_task": str(workflow.last_task.id) if workflow.last_task is not None else None,
        "success": workflow.success,
        "completed": workflow.completed,
        "tasks": _tasks_to_dict(converter, workflow),
        "root": str(workflow.task_tree.id),
    }


class _SubWorkflowConverter(BpmnSubWorkflowConverter):  # type: ignore[misc]
    """A sub-process workflow, its settled tasks' text reused (`_Dump`)."""

    def to_dict(self, workflow: BpmnSubWorkflow) -> dict[str, Any]:
        dct = _workflow_dict(self, workflow)
        dct["parent_task_id"] = str(workflow.parent_task_id)
        dct["spec"] = workflow.spec.name
        return dct


class _StatelessSpecWorkflowConverter(BpmnWorkflowConverter):  # type: ignore[misc]
    """Leaves the spec out when saving; takes ready spec objects when loading."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = _workflow_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any]) -> BpmnWorkflow:
        spec = dct.pop("spec")
        subprocess_specs = dct.pop("subprocess_specs", {})
        if isinstance(spec, dict):  # format 1: the spec travels with the state
            spec = self.registry.restore(spec)
            subprocess_specs = self.mapping_from_dict(subprocess_specs)
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        from uuid import UUID

        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _make_serializer() -> BpmnWorkflowSerializer:
    config = dict(CAMUNDA_CONFIG)
    config[BpmnWorkflow] = _StatelessSpecWorkflowConverter
    config[BpmnSubWorkflow] = _SubWorkflowConverter
    config[Task] = _TaskConverter
    registry = BpmnWorkflowSerializer.configure(config)
    register_all_dialects(registry)
    return BpmnWorkflowSerializer(registry)


_serializer = _make_serializer()
_full_serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG))
register_all_dialects(_full_serializer.registry)


def spec_to_dict(parser: BpmnDmnParser, process_id: str) -> dict[str, Any]:
    """The serialized spec of a process and its sub-process specs, stored on the deployment."""
    spec = parser.get_spec(process_id)
    # Called processes of other files are None here; the deployment adds their stored specs.
    subs = parser.get_subprocess_specs(process_id, require_call_activity_specs=False)
    return {
        "spec": _serializer.to_dict(spec),
        "subprocess_specs": {name: _serializer.to_dict(s) for name, s in subs.items() if s is not None},
    }


Specs = tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]


class SpecCache:
    """Rebuilt process specs per deployment id, shared by every instance of that version."""

    def __init__(self) -> None:
        self._specs: dict[int, Specs] = {}
        self._lock = threading.Lock()

    def get(self, deployment_id: int, load: Callable[[], dict[str, Any]]) -> Specs:
        specs = self._specs.get(deployment_id)
        if specs is None:
            stored = load()
            registry = _serializer.registry
            spec = registry.restore(json.loads(json.dumps(stored["spec"])))
            subs = {k: registry.restore(json.loads(json.dumps(v))) for k, v in stored["subprocess_specs"].items()}
            specs = (spec, subs)
            with self._lock:
                self._specs[deployment_id] = specs
        return specs


class WorkflowCache:
    """Deserialized workflows of recently written instances, bounded, least recently used out.

    An entry is the workflow exactly as its stored state says, and counts only while the
    instance row is still at the revision that state was written in (every ORM write of the
    row moves `Instance.revision` on): a state written by another process or a later write
    simply misses, and the state text itself is not read on a hit. A writer takes the
    workflow out (nobody else can use it while it changes) and puts it back only after its
    transaction committed, so a rollback leaves nothing behind.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[int, tuple[int, BpmnWorkflow]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, instance_id: int, revision: int) -> BpmnWorkflow | None:
        """The cached workflow of the instance at `revision`, removed from the cache; None on a miss."""
        with self._lock:
            entry = self._entries.pop(instance_id, None)
        if entry is None or entry[0] != revision:
            return None
        return entry[1]

    def put(self, instance_id: int, revision: int, workflow: BpmnWorkflow) -> None:
        """Keep `workflow` as the instance's workflow while its row is at `revision`."""
        if self.size <= 0:
            return
        with self._lock:
            self._entries[instance_id] = (revision, workflow)
            self._entries.move_to_end(instance_id)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def renew(self, instance_id: int, revision: int, new_revision: int) -> None:
        """The row moved from `revision` to `new_revision` without a new state: an entry of
        `revision` counts for the new one (a claim, an upload, a due date between completions)."""
        with self._lock:
            entry = self._entries.get(instance_id)
            if entry is not None and entry[0] == revision:
                self._entries[instance_id] = (new_revision, entry[1])

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def dumps(value: Any) -> str:
    """Compact JSON that keeps Chinese readable instead of \\uXXXX escapes."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def dump_state(workflow: BpmnWorkflow) -> str:
    """The workflow's state in the current format (no spec inside).

    The same text as encoding the whole dict, but settled tasks are not encoded again (`_Dump`).
    """
    dump = _Dump()
    token = _DUMP.set(dump)
    try:
        skeleton = dumps(_serializer.to_dict(workflow))
    finally:
        _DUMP.reset(token)
    return dump.splice(skeleton)


def dump_state_uncached(workflow: BpmnWorkflow) -> str:
    """The workflow's state encoded whole, every task anew (what `dump_state` must equal)."""
    return dumps(_serializer.to_dict(workflow))


def dump_state_v1(workflow: BpmnWorkflow) -> str:
    """The workflow in format 1 (SpiffWorkflow's full dict); kept to test upgrades."""
    dct = _full_serializer.to_dict(workflow)
    dct[SPIFF_VERSION_KEY] = _full_serializer.VERSION
    return dumps(dct)


def from_version_1(dct: dict[str, Any]) -> dict[str, Any]:
    """Format 1 → 2: drop the embedded specs (the deployment has them)."""
    dct.pop("spec", None)
    dct.pop("subprocess_specs", None)
    dct.pop(SPIFF_VERSION_KEY, None)
    return dct


def from_version_2(dct: dict[str, Any]) -> dict[str, Any]:
    """Format 2 → 3: the dict is the same; `load_state` compacts the tree once it is built."""
    return dct


UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: from_version_1, 2: from_version_2}


def load_state(state: str, version: int, specs: Specs) -> BpmnWorkflow:
    """A workflow from stored state of any known format version."""
    if version > SERIALIZER_VERSION:
        raise ValueError(f"state format {version} is newer than this engine ({SERIALIZER_VERSION})")
    dct = json.loads(state)
    upgraded = version < SERIALIZER_VERSION
    while version < SERIALIZER_VERSION:
        dct = UPGRADES[version](dct)
        version += 1
    dct["spec"], dct["subprocess_specs"] = specs[0], dict(specs[1])
    workflow: BpmnWorkflow = _serializer.from_dict(dct)
    if upgraded:
        compact(workflow)
    return workflow
