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
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG as CAMUNDA_CONFIG
from SpiffWorkflow.dmn.parser.BpmnDmnParser import BpmnDmnParser

from .dialects import register_all_dialects
from .runtime import compact

SERIALIZER_VERSION = 3
SPIFF_VERSION_KEY = "serializer_version"


class _StatelessSpecWorkflowConverter(BpmnWorkflowConverter):  # type: ignore[misc]
    """Leaves the spec out when saving; takes ready spec objects when loading."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
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
    instance row still holds that very state text: a state written by another process, a
    rollback or an upgrade simply misses. A writer takes the workflow out (nobody else can
    use it while it changes) and puts it back only after its transaction committed.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[int, tuple[str, BpmnWorkflow]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, instance_id: int, state: str) -> BpmnWorkflow | None:
        """The cached workflow of `state`, removed from the cache; None on a miss."""
        with self._lock:
            entry = self._entries.pop(instance_id, None)
        if entry is None or entry[0] != state:
            return None
        return entry[1]

    def put(self, instance_id: int, state: str, workflow: BpmnWorkflow) -> None:
        """Keep `workflow` as the instance's workflow while its stored state is `state`."""
        if self.size <= 0:
            return
        with self._lock:
            self._entries[instance_id] = (state, workflow)
            self._entries.move_to_end(instance_id)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def dumps(value: Any) -> str:
    """Compact JSON that keeps Chinese readable instead of \\uXXXX escapes."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def dump_state(workflow: BpmnWorkflow) -> str:
    """The workflow's state in the current format (no spec inside)."""
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
