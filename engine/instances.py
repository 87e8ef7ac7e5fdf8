"""Instances: start a process, load and run its workflow, cancel it, retry it after an incident."""

from __future__ import annotations

from functools import partial
from typing import Any, NamedTuple

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState as SpiffState
from sqlalchemy import delete, inspect, select
from sqlalchemy.orm import Session

from . import history as hist
from . import operations, persistence
from .clock import Clock
from .config import Settings
from .data import validate_data
from .deployments import Deployments
from .errors import BusinessKeyTaken, InstanceNotRunnable
from .expressions import Expressions
from .external_tasks import reset_failed, sync_external_tasks
from .messages import deliver, waiting_receivers
from .models import Deployment, ExternalTask, HumanTask, Instance, Timer
from .operations import Action
from .recorder import rebuild_indexes, record, restore_timers
from .rows import instance_view
from .runtime import Outcome, Run
from .states import EventType, InstanceStatus, TaskState
from .transactions import Transactions
from .views import InstanceView

_UNCHANGED_STATE = "anjie_unchanged_state"


class Started(NamedTuple):
    """A just-started instance inside its transaction: the row, its workflow, the writer of
    its events and its ready task rows, for an operation that goes on in the same transaction."""

    instance: Instance
    workflow: BpmnWorkflow
    writer: hist.EventWriter
    ready: list[HumanTask]
    #: What the first run did, when the caller records it together with what it does next.
    unrecorded: Outcome | None = None


def merged(first: Outcome, then: Outcome) -> Outcome:
    """Two runs of one operation as one outcome: every change in order, the state after the second."""
    return Outcome(changes=first.changes + then.changes, data=then.data, due_dates=then.due_dates,
                   timers=then.timers, completed=then.completed, unhandled=first.unhandled + then.unhandled,
                   incident=first.incident or then.incident)


class Instances:
    """Process instances and their workflows; every change is one transaction."""

    def __init__(
        self, tx: Transactions, deployments: Deployments, script_engine: PythonScriptEngine, settings: Settings,
        clock: Clock,
    ) -> None:
        self.tx = tx
        self.deployments = deployments
        self.script_engine = script_engine
        self.settings = settings
        self.clock = clock
        self.expressions = Expressions(script_engine, clock)
        self.cache = persistence.WorkflowCache(settings.workflow_cache_size)
        tx.on_flush(self._note_revisions)
        tx.after_flush(self._carry_cached)

    # -- the building blocks every writer uses -----------------------------------

    def load(self, s: Session, inst: Instance) -> BpmnWorkflow:
        """The instance's workflow for a writer: taken from the cache when it holds the row's
        revision (`record` puts it back after the commit), else restored from the stored state."""
        if inst.serializer_version == persistence.SERIALIZER_VERSION:
            cached = self.cache.take(inst.id, inst.revision)
            if cached is not None:
                return cached
        return self._restore(s, inst)

    def _restore(self, s: Session, inst: Instance) -> BpmnWorkflow:
        specs = self.deployments.specs(s, inst.deployment_id)
        workflow = persistence.load_state(inst.state, inst.serializer_version, specs)
        workflow.script_engine = self.script_engine
        return workflow

    def run(self, s: Session, inst: Instance, workflow: BpmnWorkflow, clock: Clock | None = None) -> Run:
        """A run of the loaded workflow; its steps see `clock` (default: the engine clock).

        Assignee and due-date expressions always read the engine clock: a task opened by a
        late timer is due from now, not from when the timer was due.
        """
        return Run(workflow, clock or self.clock, elements=self.deployments.elements(s, inst.deployment_id),
                   expressions=self.expressions, case_data=dict(inst.data or {}),
                   form_defaults=self.deployments.form_defaults(s, inst.deployment_id))

    def record(self, s: Session, inst: Instance, run: Run, outcome: Outcome, writer: hist.EventWriter,
               actor: str, ready: dict[str, HumanTask] | None = None, *, new: bool = False) -> list[HumanTask]:
        """Write down what a run did, in the caller's transaction; after the commit the
        workflow is cached under the state just written. Returns the ready task rows.

        `ready`: the instance's ready task rows, when the caller read them in this transaction
        before the run (they are then not read again). `new`: the instance row is not written
        yet (`started` with an `instance_id`): it has no task or timer rows to read, nothing is
        flushed, and the caller seals the writer's events and writes them after its flush."""
        elements = self.deployments.elements(s, inst.deployment_id)
        ready_after = record(s, inst, run.workflow, outcome, writer, actor, elements, ready, new=new)
        sync_external_tasks(s, inst, run.workflow, elements, writer.at)
        if not InstanceStatus(inst.status).is_ended:
            # `record` flushed (or the row goes in at revision 1): the state's revision.
            instance_id, revision, workflow = inst.id, inst.revision, run.workflow
            self.tx.after_commit(s, lambda: self.cache.put(instance_id, revision, workflow))
        return ready_after

    def _note_revisions(self, s: Session, _context: Any, _instances: Any) -> None:
        """Before a flush: the revision of each instance row about to change without a new state."""
        noted = s.info.setdefault(_UNCHANGED_STATE, {})
        for row in s.dirty:
            if isinstance(row, Instance) and not inspect(row).attrs.state.history.has_changes():
                noted[row.id] = (row, row.revision)

    def _carry_cached(self, s: Session, _context: Any) -> None:
        """After the flush: a cached workflow follows a row that moved on with the same state,
        once the transaction commits (claims and uploads between completions keep it warm)."""
        for iid, (row, before) in s.info.pop(_UNCHANGED_STATE, {}).items():
            after = row.revision
            if after == before + 1:
                self.tx.after_commit(s, partial(self.cache.renew, iid, before, after))

    def forget_cached(self) -> None:
        """Drop the cached workflows, specs and element metadata."""
        self.cache.clear()
        self.deployments.forget_cached()

    # -- operations ---------------------------------------------------------------

    def start(self, process_key: str, data: dict[str, Any] | None, *, actor: str, version: int | None,
              business_key: str | None) -> InstanceView:
        """Start an instance of the latest (or given) version with `data`; run it to its first wait."""
        with self.tx.write() as s:
            dep = self.deployments.row(s, process_key, version)
            return self.start_in(s, dep, data, actor=actor, business_key=business_key)

    def start_in(self, s: Session, dep: Deployment, data: dict[str, Any] | None, *, actor: str,
                 business_key: str | None, message: str | None = None) -> InstanceView:
        """Start an instance of a deployment in the caller's transaction; with `message`, deliver
        it to the message start event the new instance waits on."""
        started = self.started(s, dep, data, actor=actor, business_key=business_key,
                               detail={"message": message} if message else {})
        inst, workflow, writer, ready = started.instance, started.workflow, started.writer, started.ready
        if message is not None:
            for task, definition in waiting_receivers(workflow, message)[:1]:
                run = self.run(s, inst, workflow)
                ready = self.record(s, inst, run, run.operate(partial(deliver, workflow, task, definition, {})),
                                    writer, actor)
        return instance_view(s, inst, ready)

    def started(self, s: Session, dep: Deployment, data: dict[str, Any] | None, *, actor: str,
                business_key: str | None, detail: dict[str, Any] | None = None, record: bool = True,
                key_checked: bool = False, instance_id: int | None = None) -> Started:
        """A new instance of a deployment, run to its first wait and recorded in the caller's
        transaction; BusinessKeyTaken if the process has a case with this business key. With
        `record=False` the first run's outcome is handed back for the caller to record with its
        own next step (`merged`), so the instance is written once. `key_checked`: the caller has
        read the process's business keys in this transaction already (an import batch reads them
        once for the batch; the unique index still stands behind both). `instance_id`: an id the
        caller took for the new row (`case_imports._take_ids`); the row is then not flushed here and
        its events wait for the caller to seal them (`record(new=True)`, an import batch)."""
        data = dict(validate_data(data, self.settings.max_data_bytes))
        if business_key is not None and not key_checked:
            taken = s.scalar(select(Instance.id).where(Instance.process_key == dep.process_key,
                                                       Instance.business_key == business_key))
            if taken is not None:
                raise BusinessKeyTaken(dep.process_key, business_key, taken)
        spec, subs = self.deployments.specs(s, dep.id)
        workflow = BpmnWorkflow(spec, dict(subs), script_engine=self.script_engine)
        for task in workflow.get_tasks(state=SpiffState.READY):
            task.data.update(data)
        now = self.clock()
        inst = Instance(
            deployment_id=dep.id, process_key=dep.process_key, version=dep.version, business_key=business_key,
            status=InstanceStatus.RUNNING, data={}, state="", serializer_version=persistence.SERIALIZER_VERSION,
            started_at=now, started_by=actor, updated_at=now, last_seq=0, last_hash="",
        )
        s.add(inst)
        if instance_id is None:
            s.flush()
        else:
            inst.id, inst.revision = instance_id, 1
        writer = hist.EventWriter(s, inst, now, listen=instance_id is None)
        inst.data = dict(data)
        writer.append(
            EventType.INSTANCE_STARTED, actor,
            detail={"process_key": dep.process_key, "version": dep.version, "business_key": business_key,
                    **(detail or {})},
            changes={k: [None, v] for k, v in data.items()},
        )
        run = self.run(s, inst, workflow)
        if not record:
            return Started(inst, workflow, writer, [], run.step())
        ready = self.record(s, inst, run, run.step(), writer, actor)
        return Started(inst, workflow, writer, ready)

    def view(self, instance_id: int) -> InstanceView:
        """The instance: status, data and its ready human tasks."""
        with self.tx.read() as s:
            return instance_view(s, self.tx.instance(s, instance_id))

    def cancel(self, instance_id: int, *, actor: str, reason: str) -> InstanceView:
        """Stop an instance for good: its tasks are cancelled and its timers removed."""
        with self.tx.write() as s:
            inst = self.tx.instance(s, instance_id, lock=True)
            if InstanceStatus(inst.status).is_ended:
                raise InstanceNotRunnable(inst.id, inst.status, "cancel")
            workflow = self.load(s, inst)
            writer = hist.EventWriter(s, inst, self.clock())
            ready = select(HumanTask).where(HumanTask.instance_id == inst.id, HumanTask.state == TaskState.READY)
            for row in s.scalars(ready):
                row.state, row.completed_at = TaskState.CANCELLED, writer.at
                writer.append(EventType.TASK_CANCELLED, actor, element_id=row.element_id, task_id=row.id)
            s.execute(delete(Timer).where(Timer.instance_id == inst.id))
            s.execute(delete(ExternalTask).where(ExternalTask.instance_id == inst.id))
            workflow.cancel()
            writer.append(EventType.INSTANCE_CANCELLED, actor, detail={"reason": reason})
            operations.append(s, Action.CANCEL, at=writer.at, actor=actor, target=f"instance {inst.id}",
                              before={"status": inst.status}, after={"status": InstanceStatus.CANCELLED,
                                                                     "reason": reason})
            inst.status, inst.ended_at, inst.updated_at = InstanceStatus.CANCELLED, writer.at, writer.at
            inst.state = persistence.dump_state(workflow)
            inst.serializer_version = persistence.SERIALIZER_VERSION
            s.flush()
            return instance_view(s, inst)

    def retry(self, instance_id: int, *, actor: str) -> InstanceView:
        """Run an instance in error again from the element that failed."""
        with self.tx.write() as s:
            inst = self.tx.instance(s, instance_id, lock=True)
            if inst.status != InstanceStatus.ERROR:
                raise InstanceNotRunnable(inst.id, inst.status, "retry")
            workflow = self.load(s, inst)
            writer = hist.EventWriter(s, inst, self.clock())
            writer.append(EventType.INSTANCE_RETRIED, actor, element_id=inst.incident_element,
                          detail={"message": inst.incident_message})
            operations.append(s, Action.RETRY, at=writer.at, actor=actor, target=f"instance {inst.id}",
                              before={"status": inst.status, "incident": inst.incident_message})
            reset_failed(s, inst)
            run = self.run(s, inst, workflow)
            return instance_view(s, inst, self.record(s, inst, run, run.refresh_timers(), writer, actor))

    def suspend(self, instance_id: int, *, actor: str, reason: str) -> InstanceView:
        """Pause a running or waiting instance: no completion, no timer, no worker until resumed."""
        with self.tx.write() as s:
            inst = self.tx.instance(s, instance_id, lock=True)
            if not InstanceStatus(inst.status).is_active:
                raise InstanceNotRunnable(inst.id, inst.status, "suspend")
            writer = hist.EventWriter(s, inst, self.clock())
            writer.append(EventType.INSTANCE_SUSPENDED, actor, detail={"reason": reason, "was": inst.status})
            operations.append(s, Action.SUSPEND, at=writer.at, actor=actor, target=f"instance {inst.id}",
                              before={"status": inst.status},
                              after={"status": InstanceStatus.SUSPENDED, "reason": reason})
            # The timer rows go; resume sets them again from the workflow, due when they were.
            s.execute(delete(Timer).where(Timer.instance_id == inst.id))
            inst.status, inst.updated_at = InstanceStatus.SUSPENDED, writer.at
            s.flush()
            return instance_view(s, inst)

    def resume(self, instance_id: int, *, actor: str) -> InstanceView:
        """Let a suspended instance go on where it was; timers past due fire at the next sweep."""
        with self.tx.write() as s:
            inst = self.tx.instance(s, instance_id, lock=True)
            if inst.status != InstanceStatus.SUSPENDED:
                raise InstanceNotRunnable(inst.id, inst.status, "resume")
            workflow = self.load(s, inst)
            writer = hist.EventWriter(s, inst, self.clock())
            writer.append(EventType.INSTANCE_RESUMED, actor)
            operations.append(s, Action.RESUME, at=writer.at, actor=actor, target=f"instance {inst.id}",
                              before={"status": inst.status})
            restore_timers(s, inst, workflow)
            ready = s.scalars(select(HumanTask.id).where(HumanTask.instance_id == inst.id,
                                                         HumanTask.state == TaskState.READY)).first()
            inst.status = InstanceStatus.RUNNING if ready else InstanceStatus.WAITING
            inst.updated_at = writer.at
            s.flush()
            return instance_view(s, inst)

    def rebuild_indexes(self, instance_id: int) -> InstanceView:
        """Rebuild the task, offer and timer indexes of an instance from its workflow (repair)."""
        with self.tx.write() as s:
            inst = self.tx.instance(s, instance_id, lock=True)
            workflow = self.load(s, inst)
            elements = self.deployments.elements(s, inst.deployment_id)
            rebuild_indexes(s, inst, workflow, elements, self.expressions, self.clock())
            sync_external_tasks(s, inst, workflow, elements, self.clock())
            return instance_view(s, inst)

    def workflow(self, instance_id: int) -> BpmnWorkflow:
        """The instance's SpiffWorkflow workflow as stored, for inspection (changes to it are not saved)."""
        with self.tx.read() as s:
            return self._restore(s, self.tx.instance(s, instance_id))
