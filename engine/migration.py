"""Migration: compare two versions of a process, and move running instances from one to the other.

Built on SpiffWorkflow's `bpmn.util.diff`: `SpecDiff` aligns the task specs of two versions by
BPMN id, `migrate_workflow` points an instance's tasks at the new specs and resets the branches
that are ready or waiting, so they are predicted again from the new diagram. Resetting drops a
waiting timer's computed due time, so it is put back afterwards: a moved case keeps its deadlines.
The task, offer and timer indexes are rebuilt from the moved workflow (`recorder.rebuild_indexes`),
and each move is one `instance_migrated` event in the case's hash chain.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG as CAMUNDA_CONFIG
from SpiffWorkflow.util.task import TaskState as SpiffState
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import history as hist
from . import operations, persistence
from .bulk_indexes import BulkIndexes
from .clock import Clock
from .deployments import Deployments
from .dialects import register_all_dialects
from .errors import InstanceNotFound, MigrationRefused
from .external_tasks import sync_external_tasks
from .instances import Instances
from .models import Deployment, Instance
from .operations import Action
from .recorder import rebuild_indexes
from .rows import instance_view
from .runtime import all_tasks
from .states import EventType, InstanceStatus, MigrationObstacle
from .transactions import Transactions
from .views import ElementDiff, InstanceView, MigrationCheck, MigrationProblem, VersionDiff

# Compares specs attribute by attribute, as SpiffWorkflow's serializer writes them (every
# dialect's classes: a plain BPMN service task is not one Camunda's configuration knows).
_REGISTRY = BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG)
register_all_dialects(_REGISTRY)

# An element the instance is at may gain or lose neighbours (a step added after it): its
# branch is predicted again. Any other change to it refuses the move.
_FLOW_ATTRIBUTES = frozenset({"inputs", "outputs"})
# Tasks an instance has reached and not left: their element must stay as it was.
_ACTIVE = SpiffState.READY | SpiffState.WAITING | SpiffState.STARTED | SpiffState.ERROR
# Spec attributes, as a person reading the diff calls them (the rest keep their own names).
_SPEC_WORDS = {
    "bpmn_name": "name", "inputs": "flow", "outputs": "flow", "cond_task_specs": "conditions",
    "default_task_spec": "default_flow", "event_definition": "event", "decision_table": "decision",
    "extensions": "properties", "lane": "lane", "form": "form", "script": "script",
    "typename": "type", "documentation": "documentation", "cancel_activity": "interrupting",
}
# Spec attributes that say nothing a person drew (positions in the serializer's own bookkeeping).
_QUIET = frozenset({"name", "bpmn_id", "description", "lookahead", "manual", "io_specification",
                    "data_input_associations", "data_output_associations", "split_task", "threshold"})


class Migrations:
    """Diff two versions; check, and make, the move of an instance to another version."""

    def __init__(self, tx: Transactions, deployments: Deployments, instances: Instances, clock: Clock) -> None:
        self.tx = tx
        self.deployments = deployments
        self.instances = instances
        self.clock = clock
        self.spec_diffs = SpecDiffs()

    def diff(self, process_key: str, from_version: int, to_version: int) -> VersionDiff:
        """The elements added, removed and changed from one version of a process to another."""
        with self.tx.read() as s:
            old = self.deployments.row(s, process_key, from_version)
            new = self.deployments.row(s, process_key, to_version)
            old_specs, new_specs = self.deployments.specs(s, old.id), self.deployments.specs(s, new.id)
            old_meta, new_meta = self.deployments.elements(s, old.id), self.deployments.elements(s, new.id)
        added: dict[str, ElementDiff] = {}
        removed: dict[str, ElementDiff] = {}
        changed: dict[str, ElementDiff] = {}
        for old_spec, new_spec in _paired(old_specs, new_specs):
            if new_spec is None:
                for ts in _drawn(old_spec):
                    removed[ts.bpmn_id] = _element(ts.bpmn_id, old_meta)
                continue
            if old_spec is None:
                for ts in _drawn(new_spec):
                    added[ts.bpmn_id] = _element(ts.bpmn_id, new_meta)
                continue
            spec_diff = self.spec_diffs.get(old_spec, new_spec)
            # On the diagram an element is its id: one aligned by position under another id
            # (SpiffWorkflow's fallback) is drawn as removed and added.
            for ts in _drawn(new_spec):
                if ts.bpmn_id not in old_spec.task_specs:
                    added[ts.bpmn_id] = _element(ts.bpmn_id, new_meta)
            for ts in _drawn(old_spec):
                if ts.bpmn_id not in new_spec.task_specs:
                    removed[ts.bpmn_id] = _element(ts.bpmn_id, old_meta)
            for ts, attributes in spec_diff.changed.items():
                if ts.bpmn_id and ts.bpmn_id not in removed:
                    changes = _what_changed(attributes, old_meta.get(ts.bpmn_id, {}), new_meta.get(ts.bpmn_id, {}))
                    if changes:
                        changed[ts.bpmn_id] = _element(ts.bpmn_id, new_meta, changes)
        # Metadata the specs do not carry (candidate groups, assignee and due-date expressions).
        for ident, meta in new_meta.items():
            if ident in old_meta and ident not in changed and ident not in added:
                changes = _what_changed([], old_meta[ident], meta)
                if changes:
                    changed[ident] = _element(ident, new_meta, changes)
        return VersionDiff(process_key, from_version, to_version, sorted(added.values(), key=_by_id),
                           sorted(removed.values(), key=_by_id), sorted(changed.values(), key=_by_id))

    def can_migrate(self, instance_id: int, version: int) -> MigrationCheck:
        """Whether an instance can move to `version` of its process, and why not."""
        with self.tx.read() as s:
            inst = self.tx.instance(s, instance_id)
            target = self.deployments.row(s, inst.process_key, version)
            problems = self._problems(s, inst, target)
            return MigrationCheck(inst.id, inst.process_key, inst.version, target.version, problems)

    def migrate(self, instance_id: int, version: int, *, actor: str) -> InstanceView:
        """Move an instance to `version`; MigrationRefused (nothing changed) when it cannot move."""
        with self.tx.write() as s:
            inst = self.tx.instance(s, instance_id, lock=True)
            target = self.deployments.row(s, inst.process_key, version)
            problems = self._move(s, inst, target, actor)
            if problems:
                raise MigrationRefused(inst.id, version, problems)
            return instance_view(s, inst)

    def migrate_many(self, instance_ids: list[int], version: int, *, actor: str) -> list[MigrationCheck]:
        """Move each instance that can move to `version`, in one transaction; the others stay
        where they are. One check per instance, in order: empty `problems` means it moved.

        The instances are read in one locked select, and the indexes of those the new diagram
        runs nothing for (the usual case) are written together at the end (`BulkIndexes`);
        an instance the move makes run goes through the ordinary recorder.
        """
        checks = []
        targets: dict[str, Deployment] = {}
        with self.tx.write() as s:
            found = {inst.id: inst for inst in s.scalars(self.tx.locked(
                select(Instance).where(Instance.id.in_(instance_ids)).order_by(Instance.id)))}
            bulk = BulkIndexes(self.instances.expressions, self.clock())
            for instance_id in instance_ids:
                inst = found.get(instance_id)
                if inst is None:
                    raise InstanceNotFound(instance_id)
                source_version = inst.version
                target = targets.get(inst.process_key)
                if target is None:
                    target = targets[inst.process_key] = self.deployments.row(s, inst.process_key, version)
                problems = self._move(s, inst, target, actor, bulk)
                checks.append(MigrationCheck(inst.id, inst.process_key, source_version, version, problems))
            bulk.write(s)
        return checks

    def _move(self, s: Session, inst: Instance, target: Deployment, actor: str,
              bulk: BulkIndexes | None = None) -> list[MigrationProblem]:
        """Move a locked instance to `target`, or say why it cannot move (and change nothing).
        With `bulk`, the indexes of an instance that runs nothing are left to `bulk.write`."""
        workflow = self.instances.load(s, inst)
        problems = self._problems(s, inst, target, workflow)
        if problems:
            return problems
        source_version = inst.version
        now = self.clock()
        move(workflow, self.deployments.specs(s, target.id), self.spec_diffs)
        inst.deployment_id, inst.version = target.id, target.version
        elements = self.deployments.elements(s, target.id)

        def moved() -> hist.EventWriter:
            # Appended once the indexes are rebuilt, so the event seals the task rows as they now are.
            writer = hist.EventWriter(s, inst, now)
            writer.append(EventType.INSTANCE_MIGRATED, actor,
                          detail={"from_version": source_version, "to_version": target.version})
            operations.append(s, Action.MIGRATE, actor=actor, target=f"instance {inst.id}",
                              before={"version": source_version}, after={"version": target.version}, at=now)
            return writer

        # Step, as every operation does: the new diagram may run something at once (a join
        # whose other branch was taken away). Usually nothing runs, and only the state is stored.
        run = self.instances.run(s, inst, workflow)
        outcome = run.step()
        if outcome.changes or outcome.incident is not None or outcome.completed or outcome.unhandled:
            rebuild_indexes(s, inst, workflow, elements, self.instances.expressions, now)
            sync_external_tasks(s, inst, workflow, elements, now)
            self.instances.record(s, inst, run, outcome, moved(), actor)
            return []
        inst.state = persistence.dump_state(workflow)
        inst.serializer_version = persistence.SERIALIZER_VERSION
        inst.updated_at = now
        if bulk is not None:
            bulk.add(inst, workflow, elements, then=moved)
        else:
            rebuild_indexes(s, inst, workflow, elements, self.instances.expressions, now)
            sync_external_tasks(s, inst, workflow, elements, now)
            moved()
        return []

    def _problems(self, s: Session, inst: Instance, target: Deployment,
                  workflow: BpmnWorkflow | None = None) -> list[MigrationProblem]:
        status = InstanceStatus(inst.status)
        if target.id == inst.deployment_id:
            return [MigrationProblem(MigrationObstacle.SAME_VERSION, f"the instance is on version {inst.version}")]
        if status.is_ended:
            return [MigrationProblem(MigrationObstacle.ENDED, f"the instance is {status}")]
        if status == InstanceStatus.ERROR:
            return [MigrationProblem(MigrationObstacle.INCIDENT, "the instance is in error; retry or cancel it first",
                                     inst.incident_element)]
        workflow = workflow or self.instances.load(s, inst)
        return obstacles(workflow, self.deployments.specs(s, target.id), self.spec_diffs)


Specs = tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]


class SpecDiffs:
    """SpiffWorkflow's `SpecDiff` of two process specs, computed once per pair.

    Comparing specs serializes every task spec of both; a bulk move of thousands of instances
    between the same two versions does it once. Specs are shared per deployment
    (`persistence.SpecCache`), so a pair is known by the identity of its two spec objects.
    """

    _LIMIT = 64

    def __init__(self) -> None:
        self._found: dict[tuple[int, int], tuple[BpmnProcessSpec, BpmnProcessSpec, SpecDiff]] = {}

    def get(self, old: BpmnProcessSpec, new: BpmnProcessSpec) -> SpecDiff:
        """The diff of `old` to `new` (cached; specs never change once deployed)."""
        key = (id(old), id(new))
        found = self._found.get(key)
        if found is None or found[0] is not old or found[1] is not new:
            if len(self._found) >= self._LIMIT:
                self._found.pop(next(iter(self._found)))
            found = self._found[key] = (old, new, SpecDiff(_REGISTRY, old, new))
        return found[2]


def obstacles(workflow: BpmnWorkflow, specs: Specs, diffs: SpecDiffs) -> list[MigrationProblem]:
    """What keeps a loaded workflow from moving to the given specs (empty when it can move).

    An element the instance is at (ready, waiting, started) must be unchanged but for its
    flows; every element it has reached, and every sub-process it is inside, must still exist.
    """
    spec, subs = specs
    problems: list[MigrationProblem] = []
    for wf, new_spec in _workflows(workflow, spec, subs):
        if new_spec is None:
            problems.append(MigrationProblem(MigrationObstacle.SUBPROCESS_REMOVED,
                                             f"sub-process {wf.spec.name!r} is not in the new version"))
            continue
        spec_diff = diffs.get(wf.spec, new_spec)
        for task in wf.get_tasks(skip_subprocesses=True):
            ident = task.task_spec.bpmn_id or task.task_spec.name.split(".")[0]
            aligned = spec_diff.alignment.get(task.task_spec)
            if aligned is None or aligned.name != task.task_spec.name:
                if not task.state & (SpiffState.MAYBE | SpiffState.LIKELY):
                    problems.append(MigrationProblem(MigrationObstacle.ELEMENT_REMOVED,
                                                     f"element {ident!r} is not in the new version", ident))
                continue
            if task.state & _ACTIVE and task.task_spec.bpmn_id:
                moved = set(spec_diff.comparisons.get(task.task_spec) or []) - _FLOW_ATTRIBUTES
                if moved:
                    problems.append(MigrationProblem(
                        MigrationObstacle.ELEMENT_CHANGED,
                        f"element {ident!r}, where the instance is, was changed ({', '.join(sorted(moved))})", ident))
    unique = {(p.reason, p.element_id): p for p in problems}
    return list(unique.values())


def move(workflow: BpmnWorkflow, specs: Specs, diffs: SpecDiffs) -> None:
    """Point a workflow (checked with `obstacles` first) at the new specs, timers keeping their due times."""
    spec, subs = specs
    # Plain loops over the task dicts: SpiffWorkflow's filtered iterators walk the whole tree each time.
    kept = {task.id: task._get_internal_data("event_value")
            for task in all_tasks(workflow) if task.state == SpiffState.WAITING
            and isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition)}
    for wf, new_spec in _workflows(workflow, spec, subs):
        assert new_spec is not None, "obstacles() refuses a sub-process missing from the new version"
        migrate_workflow(WorkflowDiff(wf, diffs.get(wf.spec, new_spec)), wf, new_spec)
        # SpiffWorkflow predicts again only the branches of ready and waiting tasks: after one
        # that is under way (a worker's service task, a call activity) the old path would run.
        # Its path is drawn again from the new diagram, as migrate_workflow does for the others.
        for task in [t for t in wf.tasks.values() if t.state == SpiffState.STARTED]:
            task._drop_children()
            task._sync_children(task.task_spec.outputs, SpiffState.FUTURE)
            for child in task.children:
                child.task_spec._predict(child, mask=SpiffState.FUTURE | SpiffState.PREDICTED_MASK)
    workflow.subprocess_specs = dict(subs)
    for task in all_tasks(workflow):
        if task.state != SpiffState.WAITING:
            continue
        value = kept.get(task.id)
        if value is not None:
            task._set_internal_data(event_value=value)


def _workflows(workflow: BpmnWorkflow, spec: BpmnProcessSpec,
               subs: dict[str, BpmnProcessSpec]) -> list[tuple[Any, BpmnProcessSpec | None]]:
    """The workflow and each sub-workflow it is inside, with the spec each moves to."""
    pairs: list[tuple[Any, BpmnProcessSpec | None]] = [(workflow, spec)]
    for sub in workflow.subprocesses.values():
        pairs.append((sub, subs.get(sub.spec.name)))
    return pairs


def _paired(old: Specs, new: Specs) -> list[tuple[BpmnProcessSpec | None, BpmnProcessSpec | None]]:
    pairs: list[tuple[BpmnProcessSpec | None, BpmnProcessSpec | None]] = [(old[0], new[0])]
    for name in sorted(set(old[1]) | set(new[1])):
        pairs.append((old[1].get(name), new[1].get(name)))
    return pairs


def _drawn(spec: BpmnProcessSpec) -> list[Any]:
    """The task specs of a process that are elements of its diagram (not the engine's own)."""
    return [ts for ts in spec.task_specs.values() if getattr(ts, "bpmn_id", None)]


def _what_changed(attributes: list[str], old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    words = {_SPEC_WORDS.get(a, a) for a in attributes if a not in _QUIET}
    words |= {key for key in set(old) | set(new) if old.get(key) != new.get(key)}
    return sorted(words)


def _element(ident: str, meta: dict[str, Any], changes: list[str] | None = None) -> ElementDiff:
    found = meta.get(ident, {})
    return ElementDiff(ident, found.get("name"), found.get("type"), changes or [])


def _by_id(element: ElementDiff) -> str:
    return element.element_id
