"""The engine's one public facade: `Engine`, used by the web app, the CLI, the scheduler and tests.

Every operation is one database transaction: state, task and timer indexes and history change
together or not at all. Each method is one line; the work lives in modules with one noun each:
transactions, deployments, instances, human_tasks, firing (timers) and history.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker as Sessions

from .accounts import Accounts
from .attachments import Attachments
from .audit import Audit
from .calendar import Calendar
from .campaigns import Campaigns
from .case_imports import CaseImports, CaseRow, ImportedCase
from .clock import Clock, system_clock
from .config import Settings
from .database import connect, migrate
from .deployments import Deployments, DiagramCheck
from .designs import Designs
from .errors import Problem
from .external_tasks import ExternalTasks
from .firing import Timers
from .heatmap import Heatmaps
from .history import History
from .human_tasks import HumanTasks
from .instances import Instances
from .ledger_export import LedgerExport
from .messages import Messages
from .migration import Migrations
from .notices import NoticeTemplates
from .queries import Queries
from .recorder import sync_offers
from .reminders import Reminders, smtp_mailer
from .reports import Reports
from .scripting import script_engine
from .stats import Stats
from .task_drafts import TaskDrafts
from .timeline import Timeline
from .transactions import Transactions
from .views import (
    ChainReport,
    EventView,
    ExternalTaskView,
    FormField,
    InstanceView,
    MigrationCheck,
    ReplayView,
    TaskView,
    TimelineView,
    TimerView,
    VersionDiff,
)
from .views import Deployment as DeploymentView


class Engine:
    """Deploy diagrams, run instances, keep the task and timer indexes and the history."""

    def __init__(self, sessions: Sessions[Session], settings: Settings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self._tx = Transactions(sessions)
        self._tx.on_flush(sync_offers)
        scripts = script_engine(settings.script_timeout_seconds)
        # Scripts and expressions of this engine see the local working-day overrides of its
        # own database (add_working_days in timers and due dates).
        self.calendar = Calendar(sessions, clock, ttl_seconds=settings.calendar_cache_seconds)
        self.calendar.attach(scripts)
        self._deployments = Deployments(self._tx, clock)
        self._instances = Instances(self._tx, self._deployments, scripts, settings, clock)
        self._tasks = HumanTasks(self._tx, self._instances, clock)
        self._timers = Timers(self._tx, self._instances, clock)
        self._external = ExternalTasks(self._tx, self._instances, clock)
        self._messages = Messages(self._tx, self._instances, clock)
        self._history = History(self._tx)
        self._timeline = Timeline(self._tx)
        self._migrations = Migrations(self._tx, self._deployments, self._instances, clock)
        # Cases registered from a ledger file, and the background import jobs' progress.
        self.case_imports = CaseImports(self._tx, self._instances, clock)
        # The operation log, signed checkpoints, verification against them and history export.
        self.audit = Audit(self._tx, self._history, settings, clock)
        # A case's attachments, recorded as history events (the bytes stay with the web app).
        self.attachments = Attachments(self._tx, clock)
        # Accounts and the inbox/ledger read models live beside the engine for the web app.
        self.accounts = Accounts(sessions, clock, reads=self._tx.read_sessionmaker,
                                 max_failures=settings.login_max_failures,
                                 lock_for=timedelta(minutes=settings.login_lock_minutes),
                                 first_delay=timedelta(seconds=settings.login_delay_seconds),
                                 token_lifetime=timedelta(days=settings.token_days))
        # Drafts and version lists for the designer.
        self.designs = Designs(self._tx, clock, scripts)
        # A task's form saved without completing it, per task and user.
        self.task_drafts = TaskDrafts(self._tx, self._deployments, clock)
        self.queries = Queries(self._tx.read_sessionmaker, clock, near_due=timedelta(days=settings.near_due_days))
        # Written notices' templates (versioned) and the .docx they render.
        self.notices = NoticeTemplates(self._tx, clock, settings.office_name)
        # Near-due and overdue work: listed for holders and case leaders, mailed once per threshold.
        self.reminders = Reminders(self._tx, clock, near_due=timedelta(days=settings.near_due_days),
                                   mailer=smtp_mailer(settings))
        # The ledger as a file (.xlsx, CSV) with the ledger's filters.
        self.ledger_export = LedgerExport(self._tx.read_sessionmaker, clock)
        # Weekly bulletins and monthly reports, generated when their campaign tasks come due.
        self.reports = Reports(self._tx, clock, near_due=timedelta(days=settings.near_due_days))
        self._tx.on_flush(self.reports.watch)
        # The auditor's reads: a case's deadlines and a process version's heatmap.
        # Campaigns: started with their phases and targets, joined by cases, judged by their figures.
        self.campaigns = Campaigns(self._tx, self._instances, clock)
        self.stats = Stats(self._history, self._tasks, Heatmaps(self._tx.read_sessionmaker, clock), clock)

    @classmethod
    def open(cls, database_url: str | None = None, *, clock: Clock | None = None,
             settings: Settings | None = None) -> Engine:
        """Open (creating or migrating) the database of `settings` (default: ANJIE_*) or of `database_url`."""
        settings = settings or Settings.from_env()
        db = connect(database_url or settings.database_url)
        migrate(db)
        return cls(Sessions(bind=db, expire_on_commit=False), settings, clock or system_clock)

    @property
    def sessionmaker(self) -> Sessions[Session]:
        """Write sessions on the engine's database (tests and tools that inspect its tables)."""
        return self._tx.sessionmaker

    @property
    def read_sessionmaker(self) -> Sessions[Session]:
        """Read-only sessions on the engine's database."""
        return self._tx.read_sessionmaker

    def close(self) -> None:
        """Release the database connections."""
        self._tx.dispose()

    def validate(self, source: Path | str | bytes) -> list[Problem]:
        """Every problem of a diagram (empty when it would deploy)."""
        return self._deployments.validate(source)

    def check(self, sources: list[Path | str | bytes]) -> list[DiagramCheck]:
        """Validate several diagrams together (decision tables first count for the BPMN after them)."""
        return self._deployments.check(sources)

    def decision_sources(self) -> list[tuple[str, bytes]]:
        """Name and bytes of the newest version of every deployed DMN file."""
        return self._deployments.decision_sources()

    def deploy(self, source: Path | str | bytes, *, actor: str, note: str | None = None) -> list[DeploymentView]:
        """Validate fully, then deploy every process (or decision) of a diagram, with a change `note`;
        DiagramInvalid (`.problems`) and nothing deployed when anything is wrong. Same content, same version."""
        return self._deployments.deploy(source, actor=actor, note=note)

    def deployments(self) -> list[DeploymentView]:
        """Every deployment, newest version of each key first."""
        return self._deployments.all()

    def process_names(self) -> dict[tuple[str, int], str]:
        """What each deployed process version is called in its diagram: (key, version) -> name."""
        return self._deployments.process_names()

    def task_forms(self, process_key: str, version: int | None = None) -> dict[str, tuple[str | None, list[FormField]]]:
        """Every human task of a process version: element id -> (name, form), in diagram order."""
        return self._deployments.task_forms(process_key, version)

    def diagram_xml(self, process_key: str, version: int | None = None) -> bytes:
        """The diagram source a process (or decision) version was deployed from."""
        return self._deployments.source(process_key, version)

    def start(self, process_key: str, data: dict[str, Any] | None = None, *, actor: str,
              version: int | None = None, business_key: str | None = None) -> InstanceView:
        """Start an instance of the latest (or given) version with `data`; run it to its first wait."""
        return self._instances.start(process_key, data, actor=actor, version=version, business_key=business_key)

    def import_cases(self, process_key: str, cases: list[CaseRow], *, task_id: str, actor: str,
                     origin: dict[str, Any], batch_size: int = 100,
                     progress: Callable[[int], None] | None = None) -> list[ImportedCase]:
        """Start each case past its first task `task_id`, completed with the row's data through the
        form's checks; a `instance_imported` event carries `origin` and the row. A case whose business
        key the process holds already is skipped. One transaction per batch."""
        return self.case_imports.import_cases(process_key, cases, task_id=task_id, actor=actor, origin=origin,
                                              batch_size=batch_size, progress=progress)

    def instance(self, instance_id: int) -> InstanceView:
        """The instance: status, data and its ready human tasks."""
        return self._instances.view(instance_id)

    def cancel(self, instance_id: int, *, actor: str, reason: str) -> InstanceView:
        """Stop an instance for good: its tasks are cancelled and its timers removed."""
        return self._instances.cancel(instance_id, actor=actor, reason=reason)

    def retry(self, instance_id: int, *, actor: str) -> InstanceView:
        """Run an instance in error again from the element that failed."""
        return self._instances.retry(instance_id, actor=actor)

    def suspend(self, instance_id: int, *, actor: str, reason: str) -> InstanceView:
        """Pause an instance: no task completes, no timer fires, no worker fetches until `resume`."""
        return self._instances.suspend(instance_id, actor=actor, reason=reason)

    def resume(self, instance_id: int, *, actor: str) -> InstanceView:
        """Let a suspended instance go on where it was."""
        return self._instances.resume(instance_id, actor=actor)

    def rebuild_indexes(self, instance_id: int) -> InstanceView:
        """Rebuild an instance's task, offer and timer indexes from its workflow (repair, migration)."""
        return self._instances.rebuild_indexes(instance_id)

    def forget_cached(self) -> None:
        """Drop the cached specs, element metadata and workflows (as a freshly started process has none)."""
        self._instances.forget_cached()

    def workflow(self, instance_id: int) -> BpmnWorkflow:
        """The stored SpiffWorkflow workflow of an instance, for inspection; changes are not saved."""
        return self._instances.workflow(instance_id)

    def diff(self, process_key: str, from_version: int, to_version: int) -> VersionDiff:
        """The elements added, removed and changed (and what in each) between two versions."""
        return self._migrations.diff(process_key, from_version, to_version)

    def can_migrate(self, instance_id: int, version: int) -> MigrationCheck:
        """Whether an instance can move to `version` of its process; `.problems` say why not."""
        return self._migrations.can_migrate(instance_id, version)

    def migrate(self, instance_id: int, version: int, *, actor: str) -> InstanceView:
        """Move an instance to `version`, timers keeping their due times; MigrationRefused if it cannot."""
        return self._migrations.migrate(instance_id, version, actor=actor)

    def migrate_many(self, instance_ids: list[int], version: int, *, actor: str) -> list[MigrationCheck]:
        """Move those of the instances that can move, in one transaction; a check for each (ok: moved)."""
        return self._migrations.migrate_many(instance_ids, version, actor=actor)

    # -- human tasks --------------------------------------------------------

    def tasks(self, *, instance_id: int | None = None, assignee: str | None = None,
              candidate_group: str | None = None, state: str | None = "ready") -> list[TaskView]:
        """Human tasks from the indexed task table (workflows are not loaded)."""
        return self._tasks.list(instance_id=instance_id, assignee=assignee, candidate_group=candidate_group,
                                state=state)

    def task(self, task_id: str) -> TaskView:
        """One human task with its form and documentation."""
        return self._tasks.view(task_id)

    def claim(self, task_id: str, *, actor: str) -> TaskView:
        """Take a ready task for yourself; refused when someone else holds it."""
        return self._tasks.claim(task_id, actor=actor)

    def unclaim(self, task_id: str, *, actor: str) -> TaskView:
        """Give a task you hold back to its candidate groups."""
        return self._tasks.unclaim(task_id, actor=actor)

    def assign(self, task_id: str, user: str, *, actor: str) -> TaskView:
        """Give a task to `user` (a coordinator's action)."""
        return self._tasks.assign(task_id, user, actor=actor)

    def complete(self, task_id: str, data: dict[str, Any] | None, *, actor: str) -> InstanceView:
        """Complete a ready human task and run to the next wait (of two at once, exactly one counts)."""
        return self._tasks.complete(task_id, data, actor=actor)

    def fetch_and_lock(self, worker_id: str, topics: list[str], *, max_tasks: int = 10,
                       lock_seconds: int = 60) -> list[ExternalTaskView]:
        """Lock free service tasks of `topics` for a worker (never one task for two workers)."""
        return self._external.fetch_and_lock(worker_id, topics, max_tasks=max_tasks, lock_seconds=lock_seconds)

    def complete_external(self, task_id: str, *, worker_id: str, data: dict[str, Any] | None = None) -> InstanceView:
        """The worker holding a service task reports it done with output `data`; the instance runs on."""
        return self._external.complete(task_id, worker_id=worker_id, data=data)

    def fail_external(self, task_id: str, *, worker_id: str, message: str, retries: int,
                      retry_in_seconds: int = 0) -> ExternalTaskView:
        """The worker reports a failure: free again after the back-off, or an incident with no retries left."""
        return self._external.fail(task_id, worker_id=worker_id, message=message, retries=retries,
                                   retry_in_seconds=retry_in_seconds)

    def extend_lock(self, task_id: str, *, worker_id: str, seconds: int) -> ExternalTaskView:
        """The worker holding a service task needs `seconds` more from now."""
        return self._external.extend_lock(task_id, worker_id=worker_id, seconds=seconds)

    def correlate(self, message_name: str, *, business_key: str | None = None,
                  correlation: dict[str, Any] | None = None, data: dict[str, Any] | None = None,
                  actor: str) -> InstanceView:
        """Deliver a message to the one instance (or message start event) waiting for it, exactly once."""
        return self._messages.correlate(message_name, business_key=business_key, correlation=correlation,
                                        data=data, actor=actor)

    def fire_due_timers(self, now: datetime | None = None, *, stop: Callable[[], bool] | None = None) -> int:
        """Fire every timer due at `now` (default: the clock) exactly once across schedulers; how many fired."""
        return self._timers.fire_due(now, stop=stop)

    def timers(self, due_before: datetime | None = None) -> list[TimerView]:
        """Waiting timers, soonest first."""
        return self._timers.waiting(due_before)

    def history(self, instance_id: int) -> list[EventView]:
        """Every event of an instance, in order."""
        return self._history.events(instance_id)

    def verify_history(self, instance_id: int | None = None) -> ChainReport:
        """Check the hash chains (of one instance, or all); `.ok` is True when intact."""
        return self._history.verify(instance_id)

    def timeline(self, instance_id: int, *, page: int = 1, per_page: int = 100, named: Collection[str] = (),
                 step: int | None = None) -> TimelineView:
        """One page of the events people read (engine steps through elements not in `named`
        that changed no data left out), newest first, and the replay markers, from one read."""
        return self._timeline.page(instance_id, page=page, per_page=per_page, named=named, step=step)

    def replay(self, instance_id: int, step: int) -> ReplayView:
        """The instance as it stood after event `step`, rebuilt from stored history only."""
        return self._history.replay(instance_id, step)
