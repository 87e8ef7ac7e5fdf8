"""The engine's one public facade: `Engine`, used by the web app, the CLI, the scheduler and tests.

Every operation is one database transaction: workflow state, the human-task table, the
timer table and the history events change together or not at all. Concurrent writers
are caught by the instance row's revision (optimistic concurrency).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import delete, event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from . import deploy as deploy_mod
from . import firing, persistence
from . import history as hist
from .accounts import Accounts
from .calendar import Calendar
from .clock import Clock, system_clock
from .config import Settings
from .data import validate_data
from .database import connect, migrate, readonly
from .errors import (
    ConcurrentModification,
    DiagramInvalid,
    InstanceNotFound,
    InstanceNotRunnable,
    NotAuthorized,
    Problem,
    ProcessNotFound,
    TaskClaimed,
    TaskNotFound,
    TaskNotReady,
)
from .models import Deployment, HumanTask, Instance, TaskGroup, Timer
from .queries import Queries
from .recorder import Recorder, check_required, sync_offers
from .rows import deployment_view, instance_view, task_view
from .runtime import Run
from .scripting import script_engine
from .views import (
    ChainReport,
    EventView,
    InstanceView,
    ReplayView,
    TaskView,
    TimerView,
)
from .views import Deployment as DeploymentView

SYSTEM_ACTOR = "engine"
# Issue 4: how often one sweep retries an instance after losing a race on it.
_MAX_RACES = 3
_TIMER_DEFS = ("TimeDateEventDefinition", "DurationTimerEventDefinition", "CycleTimerEventDefinition")


def _is_timer(task: Task) -> bool:
    definition = getattr(task.task_spec, "event_definition", None)
    return type(definition).__name__ in _TIMER_DEFS


class Engine:
    """Deploy diagrams, run instances, keep the task and timer indexes and the history."""

    def __init__(self, sessions: sessionmaker[Session], settings: Settings, clock: Clock) -> None:
        self.sessionmaker = sessions
        event.listen(sessions, "before_flush", sync_offers)
        # Read-only work (task lists, history, inbox queries) never waits for SQLite's write lock.
        self.read_sessionmaker: sessionmaker[Session] = sessionmaker(
            bind=readonly(sessions.kw["bind"]), expire_on_commit=False
        )
        self.settings = settings
        self.clock = clock
        self.dialect = sessions.kw["bind"].dialect.name
        self._specs = persistence.SpecCache()
        self._script_engine = script_engine(settings.script_timeout_seconds)
        # Scripts and expressions of this engine see the local working-day overrides of its
        # own database (add_working_days in timers and due dates).
        self.calendar = Calendar(sessions, clock)
        self.calendar.attach(self._script_engine)
        self._recorder = Recorder(self._script_engine, clock)
        # Accounts and the inbox/ledger read models live beside the engine for the web app.
        self.accounts = Accounts(sessions, clock)
        self.queries = Queries(self.read_sessionmaker, clock)

    @classmethod
    def open(
        cls,
        database_url: str | None = None,
        *,
        clock: Clock | None = None,
        settings: Settings | None = None,
    ) -> Engine:
        """Open (and create or migrate) the database; SQLite by default, PostgreSQL by URL."""
        settings = settings or Settings.from_env()
        url = database_url or settings.database_url
        db = connect(url)
        migrate(db)
        return cls(sessionmaker(bind=db, expire_on_commit=False), settings, clock or system_clock)

    def close(self) -> None:
        """Release the database connections."""
        self.sessionmaker.kw["bind"].dispose()

    # -- transactions -------------------------------------------------------

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        session = self.sessionmaker()
        try:
            with session.begin():
                yield session
        finally:
            session.close()

    @contextmanager
    def _read(self) -> Iterator[Session]:
        session = self.read_sessionmaker()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    # -- deployments --------------------------------------------------------

    def validate(self, source: Path | str | bytes) -> list[Problem]:
        """Every problem of a diagram (empty when it would deploy)."""
        try:
            deploy_mod.parse_diagram(source, self.decision_sources())
        except DiagramInvalid as exc:
            return exc.problems
        return []

    def decision_sources(self) -> list[tuple[str, bytes]]:
        """Name and bytes of the newest version of every deployed DMN file."""
        with self._read() as s:
            latest = (
                select(Deployment.process_key, func.max(Deployment.version))
                .where(Deployment.kind == "dmn")
                .group_by(Deployment.process_key)
            )
            out: dict[str, tuple[str, bytes]] = {}
            for key, version in s.execute(latest).all():
                dep = s.scalars(
                    select(Deployment).where(Deployment.process_key == key, Deployment.version == version)
                ).one()
                out[dep.content_hash] = (f"{key}.dmn", dep.source)
            return list(out.values())

    def deploy(self, source: Path | str | bytes, *, actor: str) -> list[DeploymentView]:
        """Validate fully, then deploy every executable process (or decision) of a diagram.

        Same content again gives the same version; changed content gives version + 1.
        Raises DiagramInvalid (with `.problems`) and deploys nothing when anything is wrong.
        """
        diagram, parser = deploy_mod.parse_diagram(source, self.decision_sources())
        root = diagram.tree.getroot()
        elements = deploy_mod.element_metadata(root) if diagram.kind == "bpmn" else {}
        keys = diagram.process_ids if diagram.kind == "bpmn" else diagram.decision_ids
        specs = {pid: persistence.spec_to_dict(parser, pid) for pid in diagram.process_ids}
        for attempt in range(3):
            try:
                with self._tx() as s:
                    result = []
                    for key in keys:
                        latest = s.scalars(
                            select(Deployment)
                            .where(Deployment.process_key == key)
                            .order_by(Deployment.version.desc())
                            .limit(1)
                        ).first()
                        if latest is not None and latest.content_hash == diagram.content_hash:
                            result.append(deployment_view(latest))
                            continue
                        dep = Deployment(
                            process_key=key,
                            version=(latest.version + 1) if latest else 1,
                            kind=diagram.kind,
                            name=diagram.process_names.get(key),
                            content_hash=diagram.content_hash,
                            source=diagram.raw,
                            spec=specs.get(key),
                            elements=elements,
                            deployed_at=self.clock(),
                            deployed_by=actor,
                        )
                        s.add(dep)
                        s.flush()
                        result.append(deployment_view(dep))
                    return result
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def deployments(self) -> list[DeploymentView]:
        """Every deployment, newest version of each key first."""
        with self._read() as s:
            rows = s.scalars(select(Deployment).order_by(Deployment.process_key, Deployment.version.desc()))
            return [deployment_view(d) for d in rows]

    def diagram_xml(self, process_key: str, version: int | None = None) -> bytes:
        """The diagram source a process (or decision) version was deployed from."""
        with self._read() as s:
            return self._deployment(s, process_key, version, kind=None).source

    def _deployment(self, s: Session, key: str, version: int | None, kind: str | None = "bpmn") -> Deployment:
        q = select(Deployment).where(Deployment.process_key == key)
        if kind:
            q = q.where(Deployment.kind == kind)
        if version is not None:
            q = q.where(Deployment.version == version)
        dep = s.scalars(q.order_by(Deployment.version.desc()).limit(1)).first()
        if dep is None:
            raise ProcessNotFound(key, version)
        return dep

    def _specs_for(self, s: Session, deployment_id: int) -> persistence.Specs:
        def load() -> dict[str, Any]:
            spec: dict[str, Any] | None = s.scalar(select(Deployment.spec).where(Deployment.id == deployment_id))
            assert spec is not None, "a BPMN deployment always stores its spec"
            return spec

        return self._specs.get(deployment_id, load)

    # -- instances ----------------------------------------------------------

    def start(
        self,
        process_key: str,
        data: dict[str, Any] | None = None,
        *,
        actor: str,
        version: int | None = None,
        business_key: str | None = None,
    ) -> InstanceView:
        """Start an instance of the latest (or given) version with `data`; run it to its first wait."""
        data = dict(validate_data(data, self.settings.max_data_bytes))
        with self._tx() as s:
            dep = self._deployment(s, process_key, version)
            spec, subs = self._specs_for(s, dep.id)
            workflow = BpmnWorkflow(spec, dict(subs), script_engine=self._script_engine)
            for task in workflow.get_tasks(state=TaskState.READY):
                task.data.update(data)
            now = self.clock()
            inst = Instance(
                deployment_id=dep.id,
                process_key=dep.process_key,
                version=dep.version,
                business_key=business_key,
                status="running",
                data={},
                state="",
                serializer_version=persistence.SERIALIZER_VERSION,
                started_at=now,
                started_by=actor,
                updated_at=now,
                last_seq=0,
                last_hash="",
            )
            s.add(inst)
            s.flush()
            writer = hist.EventWriter(s, inst, now)
            inst.data = dict(data)
            writer.append(
                "instance_started",
                actor,
                detail={"process_key": dep.process_key, "version": dep.version, "business_key": business_key},
                changes={k: [None, v] for k, v in data.items()},
            )
            run = Run(workflow, self.clock)
            self._recorder.advance(s, inst, run, writer, actor, run.step)
            return instance_view(s, inst)

    def _load(self, s: Session, inst: Instance) -> BpmnWorkflow:
        specs = self._specs_for(s, inst.deployment_id)
        workflow = persistence.load_state(inst.state, inst.serializer_version, specs)
        workflow.script_engine = self._script_engine
        return workflow

    def _instance(self, s: Session, instance_id: int, *, lock: bool = False) -> Instance:
        if lock and self.dialect == "postgresql":
            # Writers of one instance queue on its row; SQLite's BEGIN IMMEDIATE already does.
            inst = s.scalars(select(Instance).where(Instance.id == instance_id).with_for_update()).first()
        else:
            inst = s.get(Instance, instance_id)
        if inst is None:
            raise InstanceNotFound(instance_id)
        return inst

    def _locked_ready_task(self, s: Session, task_id: str) -> tuple[HumanTask, Instance]:
        """The task and its instance, the instance row locked first, the task read after it."""
        owner = select(HumanTask.instance_id).where(HumanTask.id == task_id).scalar_subquery()
        q = select(Instance).where(Instance.id == owner)
        if self.dialect == "postgresql":
            # Writers of one instance queue on its row; SQLite's BEGIN IMMEDIATE already does.
            q = q.with_for_update()
        inst = s.scalars(q).first()
        if inst is None:
            raise TaskNotFound(task_id)
        return self._ready_task(s, task_id), inst

    def instance(self, instance_id: int) -> InstanceView:
        """The instance: status, data and its ready human tasks."""
        with self._read() as s:
            return instance_view(s, self._instance(s, instance_id))

    # -- human tasks --------------------------------------------------------

    def tasks(
        self,
        *,
        instance_id: int | None = None,
        assignee: str | None = None,
        candidate_group: str | None = None,
        state: str | None = "ready",
    ) -> list[TaskView]:
        """Human tasks from the indexed task table (workflows are not loaded)."""
        with self._read() as s:
            q = select(HumanTask)
            if state:
                q = q.where(HumanTask.state == state)
            if instance_id is not None:
                q = q.where(HumanTask.instance_id == instance_id)
            if assignee is not None:
                q = q.where(HumanTask.assignee == assignee)
            if candidate_group is not None:
                q = q.join(TaskGroup, TaskGroup.task_id == HumanTask.id).where(TaskGroup.group_name == candidate_group)
            q = q.order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at)
            return [task_view(t) for t in s.scalars(q)]

    def task(self, task_id: str) -> TaskView:
        """One human task with its form and documentation."""
        with self._read() as s:
            row = s.get(HumanTask, task_id)
            if row is None:
                raise TaskNotFound(task_id)
            inst = self._instance(s, row.instance_id)
            meta = self._recorder.elements(s, inst.deployment_id).get(row.element_id, {})
            return task_view(row, meta)

    def _ready_task(self, s: Session, task_id: str) -> HumanTask:
        row = s.get(HumanTask, task_id)
        if row is None:
            raise TaskNotFound(task_id)
        if row.state != "ready":
            raise TaskNotReady(task_id, row.state, completed_by=row.completed_by,
                               completed_at=hist.utc(row.completed_at) if row.completed_at else None)
        return row

    def _task_event(
        self, task_id: str, actor: str, type_: str, change: Callable[[HumanTask], dict[str, Any]]
    ) -> TaskView:
        try:
            with self._tx() as s:
                row, inst = self._locked_ready_task(s, task_id)
                detail = change(row)
                writer = hist.EventWriter(s, inst, self.clock())
                writer.append(type_, actor, element_id=row.element_id, task_id=task_id, detail=detail)
                inst.updated_at = writer.at
                s.flush()
                return task_view(row)
        except (StaleDataError, IntegrityError) as exc:
            self._raise_lost_race(task_id, exc)
            raise

    def claim(self, task_id: str, *, actor: str) -> TaskView:
        """Take a ready task for yourself; refused when someone else holds it."""
        def change(row: HumanTask) -> dict[str, Any]:
            if row.assignee and row.assignee != actor:
                raise TaskClaimed(task_id, row.assignee)
            row.assignee = actor
            return {"assignee": actor}

        return self._task_event(task_id, actor, "task_claimed", change)

    def unclaim(self, task_id: str, *, actor: str) -> TaskView:
        """Give a task you hold back to its candidate groups."""
        def change(row: HumanTask) -> dict[str, Any]:
            if row.assignee != actor:
                raise NotAuthorized(actor, "unclaim a task held by " + (row.assignee or "nobody"), task_id)
            row.assignee = None
            return {"previous": actor}

        return self._task_event(task_id, actor, "task_unclaimed", change)

    def assign(self, task_id: str, user: str, *, actor: str) -> TaskView:
        """Give a task to `user` (a coordinator's action)."""
        def change(row: HumanTask) -> dict[str, Any]:
            previous = row.assignee
            row.assignee = user
            return {"assignee": user, "previous": previous}

        return self._task_event(task_id, actor, "task_assigned", change)

    def complete(self, task_id: str, data: dict[str, Any] | None, *, actor: str) -> InstanceView:
        """Complete a ready human task with form data and run the instance to its next wait.

        Of two concurrent completions exactly one counts; the other raises TaskNotReady
        (naming who completed it) or ConcurrentModification.
        """
        data = dict(validate_data(data, self.settings.max_data_bytes))
        try:
            with self._tx() as s:
                row, inst = self._locked_ready_task(s, task_id)
                if row.assignee and row.assignee != actor:
                    raise TaskClaimed(task_id, row.assignee)
                if inst.status not in ("running", "waiting"):
                    raise InstanceNotRunnable(inst.id, inst.status, "complete a task of")
                workflow = self._load(s, inst)
                task = workflow.get_task_from_id(UUID(task_id))
                if task is None or task.state != TaskState.READY:
                    raise TaskNotReady(task_id, "not ready")
                meta = self._recorder.elements(s, inst.deployment_id).get(row.element_id, {})
                check_required(meta, {**task.data, **data})
                writer = hist.EventWriter(s, inst, self.clock())
                run = Run(workflow, self.clock)
                self._recorder.advance(
                    s, inst, run, writer, actor, lambda: run.complete(task, data),
                    completing=task_id, form_data=data,
                )
                return instance_view(s, inst)
        except (StaleDataError, IntegrityError) as exc:
            self._raise_lost_race(task_id, exc)
            raise

    def _raise_lost_race(self, task_id: str, exc: Exception) -> None:
        with self._read() as s:
            row = s.get(HumanTask, task_id)
            if row is not None and row.state != "ready":
                raise TaskNotReady(task_id, row.state, completed_by=row.completed_by,
                                   completed_at=hist.utc(row.completed_at) if row.completed_at else None) from None
            raise ConcurrentModification(row.instance_id if row else 0, task_id) from None

    # -- instance control ---------------------------------------------------

    def cancel(self, instance_id: int, *, actor: str, reason: str) -> InstanceView:
        """Stop an instance for good: its tasks are cancelled and its timers removed."""
        with self._tx() as s:
            inst = self._instance(s, instance_id, lock=True)
            if inst.status in ("completed", "cancelled"):
                raise InstanceNotRunnable(inst.id, inst.status, "cancel")
            workflow = self._load(s, inst)
            writer = hist.EventWriter(s, inst, self.clock())
            for row in s.scalars(select(HumanTask).where(HumanTask.instance_id == inst.id, HumanTask.state == "ready")):
                row.state, row.completed_at = "cancelled", writer.at
                writer.append("task_cancelled", actor, element_id=row.element_id, task_id=row.id)
            s.execute(delete(Timer).where(Timer.instance_id == inst.id))
            workflow.cancel()
            writer.append("cancelled", actor, detail={"reason": reason})
            inst.status, inst.ended_at, inst.updated_at = "cancelled", writer.at, writer.at
            inst.state = persistence.dump_state(workflow)
            inst.serializer_version = persistence.SERIALIZER_VERSION
            s.flush()
            return instance_view(s, inst)

    def retry(self, instance_id: int, *, actor: str) -> InstanceView:
        """Run an instance in error again from the element that failed."""
        with self._tx() as s:
            inst = self._instance(s, instance_id, lock=True)
            if inst.status != "error":
                raise InstanceNotRunnable(inst.id, inst.status, "retry")
            workflow = self._load(s, inst)
            writer = hist.EventWriter(s, inst, self.clock())
            writer.append("retried", actor, element_id=inst.incident_element,
                          detail={"message": inst.incident_message})
            run = Run(workflow, self.clock)
            self._recorder.advance(s, inst, run, writer, actor, run.refresh_timers)
            return instance_view(s, inst)

    # -- timers -------------------------------------------------------------

    def fire_due_timers(self, now: datetime | None = None, *, stop: Callable[[], bool] | None = None) -> int:
        """Fire every timer due at `now` (default: the clock), oldest first; return how many fired.

        Each instance is handled in its own transaction; with several schedulers on
        PostgreSQL, due rows are claimed with FOR UPDATE SKIP LOCKED, and the instance
        revision makes sure a timer's firing is recorded exactly once (engine/firing.py).
        """
        return firing.fire_due_timers(self, now, stop=stop)

    def timers(self, due_before: datetime | None = None) -> list[TimerView]:
        """Waiting timers, soonest first."""
        with self._read() as s:
            q = select(Timer).order_by(Timer.due_at)
            if due_before is not None:
                q = q.where(Timer.due_at <= due_before)
            return [TimerView(t.instance_id, t.element_id, hist.utc(t.due_at)) for t in s.scalars(q)]

    # -- history ------------------------------------------------------------

    def history(self, instance_id: int) -> list[EventView]:
        """Every event of an instance, in order."""
        with self._read() as s:
            self._instance(s, instance_id)
            return [hist.to_view(e) for e in hist.events_of(s, instance_id)]

    def verify_history(self, instance_id: int | None = None) -> ChainReport:
        """Check the hash chains (of one instance, or all); `.ok` is True when intact."""
        with self._read() as s:
            if instance_id is not None:
                ids = [instance_id]
            else:
                ids = list(s.scalars(select(Instance.id).order_by(Instance.id)))
            return hist.verify_chain(s, ids)

    def replay(self, instance_id: int, step: int) -> ReplayView:
        """The instance as it stood after event `step`, rebuilt from stored history only."""
        with self._read() as s:
            self._instance(s, instance_id)
            return hist.replay_events(instance_id, hist.events_of(s, instance_id), step)
