"""The engine's exceptions: one root, ids as attributes, messages that say what to do."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .views import MigrationProblem


class EngineError(Exception):
    """Root of every error the engine raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a diagram: where (element id, line) and what.

    `code` names the kind of problem (engine/problem_texts.py) and `params` its details, so
    each front-end can say it in its user's language; `message` is the English text.
    """

    message: str
    element_id: str | None = None
    line: int | None = None
    file: str | None = None
    code: str = "parser"
    params: dict[str, str] = field(default_factory=dict, hash=False)

    @classmethod
    def of(cls, code: str, element_id: str | None = None, line: int | None = None,
           file: str | None = None, **params: object) -> Problem:
        """The problem of a code (engine/problem_texts.py), its English text filled in."""
        from .problem_texts import text

        named = {k: str(v) for k, v in params.items()}
        return cls(text(code, named), element_id, line, file, code, named)

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.line:
            where.append(f"line {self.line}")
        if self.element_id:
            where.append(f"element {self.element_id!r}")
        return (", ".join(where) + ": " if where else "") + self.message


class DiagramInvalid(EngineError):
    """A diagram was refused; `.problems` lists every problem found. Nothing was deployed."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"diagram refused, nothing deployed ({len(self.problems)} problems):\n{lines}")


class ProcessNotFound(EngineError):
    """No deployment has this process key (or version)."""

    def __init__(self, process_key: str, version: int | None = None) -> None:
        self.process_key = process_key
        self.version = version
        which = f"{process_key!r} version {version}" if version else repr(process_key)
        super().__init__(f"no deployed process {which}; deploy its diagram first")


class InstanceNotFound(EngineError):
    """No instance has this id."""

    def __init__(self, instance_id: int) -> None:
        self.instance_id = instance_id
        super().__init__(f"no process instance {instance_id}")


class TaskNotFound(EngineError):
    """No human task has this id."""

    def __init__(self, task_id: str) -> None:
        self.task_id = task_id
        super().__init__(f"no task {task_id!r}")


class TaskNotReady(EngineError):
    """The task cannot be worked now: it was completed or cancelled, or is not ready yet."""

    def __init__(
        self,
        task_id: str,
        state: str,
        *,
        completed_by: str | None = None,
        completed_at: datetime | None = None,
    ) -> None:
        self.task_id = task_id
        self.state = state
        self.completed_by = completed_by
        self.completed_at = completed_at
        if completed_by:
            msg = f"task {task_id} was already completed by {completed_by} at {completed_at}"
        else:
            msg = f"task {task_id} is {state}, not ready; reload the task list"
        super().__init__(msg)


class ConcurrentModification(EngineError):
    """Someone else changed the instance at the same moment; reload and try again."""

    def __init__(self, instance_id: int, task_id: str | None = None) -> None:
        self.instance_id = instance_id
        self.task_id = task_id
        super().__init__(
            f"instance {instance_id} was changed by someone else at the same time; "
            "reload and try again"
        )


class NotAuthorized(EngineError):
    """The actor may not do this (for example, claim a task assigned to someone else)."""

    def __init__(self, actor: str, action: str, task_id: str | None = None) -> None:
        self.actor = actor
        self.action = action
        self.task_id = task_id
        super().__init__(f"{actor} may not {action}" + (f" task {task_id}" if task_id else ""))


class NotCaseLeader(NotAuthorized):
    """Only the case leader of this case may do this."""


class DataInvalid(EngineError):
    """Task or start data was refused before anything was stored; `.field` names the key."""

    def __init__(self, message: str, field: str | None = None) -> None:
        self.field = field
        super().__init__(message if field is None else f"{field}: {message}")


class FieldsNotOwned(DataInvalid):
    """A completion sent fields its task does not own (another form's, or computed ones);
    `.fields` names them all. Nothing was stored."""

    def __init__(self, element_id: str, fields: list[str]) -> None:
        self.element_id = element_id
        self.fields = list(fields)
        self.field = fields[0]
        EngineError.__init__(self, f"task {element_id!r} may not write these fields: "
                             f"{', '.join(fields)}; send only the fields of its form")


class AssignmentRefused(EngineError):
    """A task may only be given to an active user who may work it (a member of its lane or
    candidate groups, not an auditor); `.reason` says which rule the user fails."""

    def __init__(self, task_id: str, user: str, reason: str) -> None:
        self.task_id = task_id
        self.user = user
        self.reason = reason
        super().__init__(f"task {task_id} cannot be assigned to {user!r}: {reason}")


class InstanceNotRunnable(EngineError):
    """The instance is completed, cancelled or in error, so the action is not possible."""

    def __init__(self, instance_id: int, status: str, action: str) -> None:
        self.instance_id = instance_id
        self.status = status
        super().__init__(f"cannot {action} instance {instance_id}: it is {status}")


class TaskClaimed(EngineError):
    """Someone else holds (has claimed) this task; ask them or a coordinator to release it."""

    def __init__(self, task_id: str, assignee: str) -> None:
        self.task_id = task_id
        self.assignee = assignee
        super().__init__(f"task {task_id} is held by {assignee}")


class AccountError(EngineError):
    """Root of the account errors; each carries the username it is about."""

    def __init__(self, message: str, username: str | None = None) -> None:
        super().__init__(message)
        self.username = username


class UserNotFound(AccountError):
    """No user has this name."""


class UserExists(AccountError):
    """A user with this name exists already; pick another name or change that user."""


class LoginFailed(AccountError):
    """The name or the password is wrong (deliberately not saying which)."""


class AccountLocked(AccountError):
    """Too many failed logins for this name from this client address: it may try again at
    `locked_until` (other addresses are not held back)."""

    def __init__(self, username: str, locked_until: datetime) -> None:
        super().__init__(f"too many failed logins as {username!r} from this address; try again "
                         f"after {locked_until:%Y-%m-%d %H:%M:%S}", username)
        self.locked_until = locked_until


class WeakPassword(AccountError):
    """The password is too short to be accepted."""


class CalendarOverrideInvalid(EngineError, ValueError):
    """An override names a bad date or kind; use an ISO date and `workday` or `holiday`."""

    def __init__(self, value: str, reason: str) -> None:
        self.value = value
        self.reason = reason
        super().__init__(f"calendar override {value!r}: {reason}")


class DiagramFormatError(EngineError, ValueError):
    """The document cannot be formatted: not well-formed, or it has a DOCTYPE or entity."""


class ExternalTaskNotFound(EngineError):
    """No external (service) task waits under this id: it was completed, cancelled or never existed."""

    def __init__(self, task_id: str) -> None:
        self.task_id = task_id
        super().__init__(f"no external task {task_id!r} is waiting; fetch and lock tasks again")


class ExternalTaskNotLocked(EngineError):
    """The worker does not hold the task's lock (never fetched it, or the lock expired and it moved on)."""

    def __init__(self, task_id: str, worker_id: str, holder: str | None) -> None:
        self.task_id = task_id
        self.worker_id = worker_id
        self.holder = holder
        who = f"it is locked by {holder!r}" if holder else "it is not locked"
        super().__init__(f"worker {worker_id!r} does not hold external task {task_id!r} ({who}); fetch it again")


class MessageNotCorrelated(EngineError):
    """A message found no waiting receiver, or more than one (`.matches` says how many)."""

    def __init__(self, message_name: str, reason: str, matches: int = 0) -> None:
        self.message_name = message_name
        self.reason = reason
        self.matches = matches
        super().__init__(f"message {message_name!r} was not delivered: {reason}")
class MigrationRefused(EngineError):
    """An instance cannot move to another version; `.problems` say why. Nothing was changed."""

    def __init__(self, instance_id: int, version: int, problems: list[MigrationProblem]) -> None:
        self.instance_id = instance_id
        self.version = version
        self.problems = list(problems)
        reasons = "; ".join(p.message for p in self.problems)
        super().__init__(f"instance {instance_id} cannot move to version {version}: {reasons}")


class DraftNotFound(EngineError):
    """No draft of yours has this id (drafts are per designer)."""

    def __init__(self, draft_id: int) -> None:
        self.draft_id = draft_id
        super().__init__(f"no draft {draft_id} of yours")


class BusinessKeyTaken(EngineError):
    """A process already has a case with this business key (case number); each key is unique per process."""

    def __init__(self, process_key: str, business_key: str, instance_id: int) -> None:
        self.process_key = process_key
        self.business_key = business_key
        self.instance_id = instance_id
        super().__init__(f"{process_key} already has case {instance_id} with business key {business_key!r}")


class ImportRefused(EngineError):
    """Cases cannot be imported past a task of this process (no such task with a form, or the
    task is not the first one a new case reaches). Nothing was imported."""

    def __init__(self, process_key: str, task_id: str, reason: str) -> None:
        self.process_key = process_key
        self.task_id = task_id
        self.reason = reason
        super().__init__(f"cannot import {process_key} cases past {task_id!r}: {reason}")


class ImportJobNotFound(EngineError):
    """No import job has this id."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        super().__init__(f"no import job {job_id}")
class CampaignNotFound(EngineError):
    """No campaign (a backlog_campaign instance) has this campaign id, or it is not running."""

    def __init__(self, campaign_id: str) -> None:
        self.campaign_id = campaign_id
        super().__init__(f"no running campaign {campaign_id!r}; choose one of the running campaigns")


class CampaignExists(EngineError):
    """A campaign with this id (its name) already exists: campaign ids name one campaign each."""

    def __init__(self, campaign_id: str) -> None:
        self.campaign_id = campaign_id
        super().__init__(f"a campaign named {campaign_id!r} exists already; choose another name")
