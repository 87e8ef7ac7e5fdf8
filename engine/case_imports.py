"""Case imports: cases registered from a file start past their registration task, with its data.

An imported case is started like any other and its registration task is completed through the
same checks a person's completion takes (who may write which field, then the form's types and
rules in `forms.accept`), so a ledger row can put nothing into a case that the form would refuse.
Its history says where it came from: a `instance_imported` event with the file's sha256 and row,
between `instance_started` and the task's completion.

Cases are written a batch per transaction (a file of 10,000 rows is not 10,000 commits). A
business key (case number) is unique per process: a row whose key a case of the process holds
already is skipped, so importing the same file twice creates nothing the second time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from SpiffWorkflow.util.task import TaskState as SpiffState
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .attachments import form_context
from .clock import Clock
from .errors import DataInvalid, ImportJobNotFound, ImportRefused
from .forms import FormContext, accept, fields_of
from .instances import Instances, merged
from .models import Event, ImportJob, Instance
from .ownership import check_owned
from .runtime import all_tasks, element_id
from .states import EventType, TaskState
from .transactions import Transactions
from .views import FormField

#: A running job that has written no progress for this long is shown as interrupted.
STALE_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class CaseRow:
    """One case to import: its business key, the registration form's data, and where it came from."""

    business_key: str
    data: dict[str, Any]
    row: int | None = None


@dataclass(frozen=True)
class ImportedCase:
    """What became of one row: imported as case `instance_id`, or skipped because case
    `instance_id` of the process holds its business key already."""

    business_key: str
    row: int | None
    instance_id: int
    imported: bool


@dataclass(frozen=True)
class ImportJobView:
    """An import running in the background, or finished: its progress and its report."""

    id: int
    process_key: str
    file_name: str
    sha256: str
    campaign_id: str | None
    status: str
    total: int
    done: int
    created_by: str
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    report: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


class CaseImports:
    """Starts cases past a task with its data, a batch per transaction; keeps the import jobs."""

    def __init__(self, tx: Transactions, instances: Instances, clock: Clock) -> None:
        self.tx = tx
        self.instances = instances
        self.clock = clock

    def form(self, process_key: str, task_id: str) -> list[FormField]:
        """The form of the task cases are imported past, in the newest version of the process."""
        with self.tx.read() as s:
            dep = self.instances.deployments.row(s, process_key, None)
            return self._fields(s, dep.id, process_key, task_id)

    def existing(self, process_key: str, business_keys: Sequence[str]) -> dict[str, int]:
        """The cases of the process that hold any of these business keys: key -> case id."""
        found: dict[str, int] = {}
        keys = list(dict.fromkeys(business_keys))
        with self.tx.read() as s:
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                rows = s.execute(select(Instance.business_key, Instance.id).where(
                    Instance.process_key == process_key, Instance.business_key.in_(chunk))).tuples()
                found.update((key, case_id) for key, case_id in rows if key is not None)
        return found

    def check(self, process_key: str, task_id: str,
              rows: Sequence[dict[str, Any]]) -> list[dict[str, Any] | DataInvalid]:
        """Each row's data as the task's form would take it (typed), or the DataInvalid it raises."""
        with self.tx.read() as s:
            dep = self.instances.deployments.row(s, process_key, None)
            elements = self.instances.deployments.elements(s, dep.id)
            fields = self._fields(s, dep.id, process_key, task_id)
            ctx = form_context(s, 0, {}, self.clock())
            return [self._accepted(elements, task_id, fields, data, ctx) for data in rows]

    def import_cases(self, process_key: str, cases: Sequence[CaseRow], *, task_id: str, actor: str,
                     origin: dict[str, Any], batch_size: int = 100,
                     progress: Callable[[int], None] | None = None) -> list[ImportedCase]:
        """Start each case past `task_id` with its row's data; `origin` (the file's sha256, its
        name) goes into each `instance_imported` event with the row number. A batch that meets a
        business key taken meanwhile by another writer is done again one case at a time."""
        results: list[ImportedCase] = []
        for start in range(0, len(cases), batch_size):
            batch = cases[start:start + batch_size]
            try:
                results.extend(self._batch(process_key, batch, task_id, actor, origin))
            except IntegrityError:
                for case in batch:
                    results.extend(self._batch(process_key, [case], task_id, actor, origin))
            if progress is not None:
                progress(len(results))
        return results

    def _batch(self, process_key: str, cases: Sequence[CaseRow], task_id: str, actor: str,
               origin: dict[str, Any]) -> list[ImportedCase]:
        results: list[ImportedCase] = []
        with self.tx.write() as s:
            dep = self.instances.deployments.row(s, process_key, None)
            elements = self.instances.deployments.elements(s, dep.id)
            fields = self._fields(s, dep.id, process_key, task_id)
            taken = dict(s.execute(select(Instance.business_key, Instance.id).where(
                Instance.process_key == process_key,
                Instance.business_key.in_([c.business_key for c in cases]))).tuples().all())
            ids = iter(_take_ids(s, len({c.business_key for c in cases} - taken.keys())))
            ctx = form_context(s, 0, {}, self.clock())
            events: list[dict[str, Any]] = []
            # The batch's rows go to the database together after the loop: the instances, their
            # task, offer and timer rows in one flush, then every event in one insert.
            with s.no_autoflush:
                for case in cases:
                    if case.business_key in taken:
                        results.append(ImportedCase(case.business_key, case.row, taken[case.business_key], False))
                        continue
                    data = self._accepted(elements, task_id, fields, case.data, ctx)
                    if isinstance(data, DataInvalid):
                        raise data
                    inst_id = self._case(s, dep, case, data, task_id, actor, origin, next(ids), events)
                    taken[case.business_key] = inst_id
                    results.append(ImportedCase(case.business_key, case.row, inst_id, True))
            # Instances first: the unit of work orders rows by relationships, and these have none.
            s.flush([row for row in s.new if isinstance(row, Instance)])
            s.flush()
            if events:
                s.connection().execute(insert(Event), events)
        return results

    def _case(self, s: Session, dep: Any, case: CaseRow, data: dict[str, Any], task_id: str, actor: str,
              origin: dict[str, Any], instance_id: int, events: list[dict[str, Any]]) -> int:
        """Start one case under `instance_id` and complete its task with `data`; its events are
        sealed into `events` (the rows are written with the batch's)."""
        started = self.instances.started(s, dep, {}, actor=actor, business_key=case.business_key,
                                         record=False, key_checked=True, instance_id=instance_id)
        inst, workflow, writer = started.instance, started.workflow, started.writer
        first = started.unrecorded
        ready = [t for t in all_tasks(workflow) if element_id(t) == task_id and t.state == SpiffState.READY]
        if first is None or first.incident is not None or len(ready) != 1:
            raise ImportRefused(dep.process_key, task_id, f"a new case does not wait at this task ({len(ready)} ready)")
        writer.append(EventType.INSTANCE_IMPORTED, actor, element_id=task_id, task_id=str(ready[0].id),
                      detail={**origin, "row": case.row})
        # The start's events are a batch of their own, as a person's start and registration
        # are two: sealed with the start's data and no open task (a new case has no task rows
        # before its registration is recorded).
        inst.data = dict(first.data)
        writer.open_tasks = list
        events.extend(writer.seal())
        # The start and the registration are then written down once.
        run = self.instances.run(s, inst, workflow)
        open_rows = self.instances.record(s, inst, run, merged(first, run.complete(ready[0], data)), writer, actor,
                                          ready={}, new=True)
        writer.open_tasks = lambda: [row for row in open_rows if row.state == TaskState.READY]
        events.extend(writer.seal())
        writer.open_tasks = None
        return inst.id

    @staticmethod
    def _accepted(elements: dict[str, Any], task_id: str, fields: list[FormField], data: dict[str, Any],
                  ctx: FormContext) -> dict[str, Any] | DataInvalid:
        """The typed data, or why the form refuses it (a row's problem, reported per row)."""
        try:
            check_owned(elements, task_id, data)
            return accept(fields, data, ctx)
        except DataInvalid as exc:
            return exc

    def _fields(self, s: Session, deployment_id: int, process_key: str, task_id: str) -> list[FormField]:
        meta = self.instances.deployments.elements(s, deployment_id).get(task_id)
        if not meta or not meta.get("form"):
            raise ImportRefused(process_key, task_id, "no task with a form has this id")
        return fields_of(dict(meta))

    # -- import jobs: progress any web process can read ---------------------------------------

    def create_job(self, *, process_key: str, file_name: str, sha256: str, campaign_id: str | None,
                   total: int, actor: str) -> ImportJobView:
        """A new job, running, nothing done yet."""
        now = self.clock()
        with self.tx.write() as s:
            job = ImportJob(process_key=process_key, file_name=file_name[:300], sha256=sha256,
                            campaign_id=campaign_id, status="running", total=total, done=0, created_by=actor,
                            created_at=now, updated_at=now, report={})
            s.add(job)
            s.flush()
            return _job_view(job)

    def job_progress(self, job_id: int, done: int) -> None:
        """How many rows the job has got through."""
        with self.tx.write() as s:
            job = self._job(s, job_id)
            job.done, job.updated_at = done, self.clock()

    def finish_job(self, job_id: int, report: dict[str, Any], *, error: str | None = None) -> ImportJobView:
        """The job ended: done (with its report) or failed (with why)."""
        with self.tx.write() as s:
            job = self._job(s, job_id)
            job.status = "failed" if error else "done"
            job.report, job.error = report, error
            job.updated_at = job.finished_at = self.clock()
            if not error:
                job.done = job.total
            return _job_view(job)

    def job(self, job_id: int) -> ImportJobView:
        """One job as it stands; a running job silent for STALE_AFTER is shown as interrupted (its
        process ended: the batches it committed stay, and importing the file again adds the rest)."""
        with self.tx.read() as s:
            return self._seen(_job_view(self._job(s, job_id)))

    def jobs(self, limit: int = 20) -> list[ImportJobView]:
        """The latest jobs, newest first."""
        with self.tx.read() as s:
            return [self._seen(_job_view(j))
                    for j in s.scalars(select(ImportJob).order_by(ImportJob.id.desc()).limit(limit))]

    def _seen(self, job: ImportJobView) -> ImportJobView:
        if job.status == "running" and self.clock() - _aware(job.updated_at) > STALE_AFTER:
            return replace(job, status="interrupted")
        return job

    @staticmethod
    def _job(s: Session, job_id: int) -> ImportJob:
        job = s.get(ImportJob, job_id)
        if job is None:
            raise ImportJobNotFound(job_id)
        return job


def _take_ids(s: Session, n: int) -> list[int]:
    """`n` ids for new instance rows, taken inside the write transaction. PostgreSQL hands them
    out from the column's sequence; on SQLite the transaction holds the database's write lock
    (BEGIN IMMEDIATE), so the ids after the largest one are free until it commits."""
    if n == 0:
        return []
    if s.get_bind().dialect.name == "postgresql":
        return list(s.scalars(text("SELECT nextval(pg_get_serial_sequence('instance', 'id')) "
                                   "FROM generate_series(1, :n)"), {"n": n}))
    top = s.scalar(select(func.max(Instance.id))) or 0
    return list(range(top + 1, top + 1 + n))


def _aware(at: datetime) -> datetime:
    """SQLite hands back naive UTC times."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _job_view(job: ImportJob) -> ImportJobView:
    return ImportJobView(id=job.id, process_key=job.process_key, file_name=job.file_name, sha256=job.sha256,
                         campaign_id=job.campaign_id, status=job.status, total=job.total, done=job.done,
                         created_by=job.created_by, created_at=job.created_at, updated_at=job.updated_at,
                         finished_at=job.finished_at, report=dict(job.report or {}), error=job.error)
