"""Plain dataclasses the engine returns: callers never see Spiff tasks or ORM rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Deployment:
    """One deployed version of a process or decision."""

    process_key: str
    version: int
    content_hash: str
    kind: str = "bpmn"
    name: str | None = None
    deployed_at: datetime | None = None
    deployed_by: str | None = None
    change_note: str | None = None


@dataclass(frozen=True)
class FormField:
    """One field of a user task's form, as the diagram declares it."""

    id: str
    label: str
    type: str = "string"
    required: bool = False
    default: str | None = None
    options: list[tuple[str, str]] = field(default_factory=list)
    properties: dict[str, str] = field(default_factory=dict)
    #: Declared rules (camunda:constraint name -> config, "" when it has none), docs/forms.md.
    rules: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AttachmentView:
    """A file attached to a case, as its ATTACHMENT_ADDED event recorded it."""

    id: str
    instance_id: int
    filename: str
    size: int
    sha256: str
    content_type: str
    uploaded_by: str
    uploaded_at: datetime
    task_id: str | None = None
    field: str | None = None
    #: The kind of written notice (engine/notices.py) when the system generated the file.
    notice: str | None = None


@dataclass(frozen=True)
class TaskView:
    """A human task: READY to be worked, or COMPLETED/CANCELLED in the past."""

    id: str
    instance_id: int
    process_key: str
    element_id: str
    name: str | None
    lane: str | None
    assignee: str | None
    candidate_groups: list[str]
    due_at: datetime | None
    state: str
    created_at: datetime
    completed_at: datetime | None = None
    completed_by: str | None = None
    documentation: str | None = None
    form: list[FormField] = field(default_factory=list)
    #: Case data keys this task approves (the element property `approves`), shown first.
    approves: list[str] = field(default_factory=list)
    #: A form kept outside the product (`camunda:formKey`, an embedded or Camunda form): the
    #: task shows a note, and its data is completed through the API.
    form_key: str | None = None


@dataclass(frozen=True)
class InstanceView:
    """A process instance with its data and its ready human tasks."""

    id: int
    process_key: str
    version: int
    status: str
    data: dict[str, Any]
    tasks: list[TaskView]
    business_key: str | None = None
    started_at: datetime | None = None
    started_by: str | None = None
    ended_at: datetime | None = None
    incident_element: str | None = None
    incident_message: str | None = None


@dataclass(frozen=True)
class EventView:
    """One history event: who did what to which element, when, and which data changed."""

    seq: int
    type: str
    element_id: str | None
    actor: str
    at: datetime
    changes: dict[str, tuple[Any, Any]]
    hash: str
    task_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BrokenLink:
    """The first event of an instance whose hash does not match its content or chain."""

    instance_id: int
    seq: int
    reason: str


@dataclass(frozen=True)
class ChainReport:
    """The result of verifying history hash chains."""

    ok: bool
    checked_instances: int
    checked_events: int
    broken: list[BrokenLink]


@dataclass(frozen=True)
class ReplayView:
    """An instance as it stood after one history event, rebuilt from the events alone."""

    instance_id: int
    step: int
    completed: list[str]
    active: list[str]
    waiting: list[str]
    cancelled: list[str]
    data: dict[str, Any]


@dataclass(frozen=True)
class TimelineView:
    """One page of an instance's timeline (newest first) and the instance replayed to `step`.

    `completed`, `active`, `waiting` and `cancelled` are the element ids `ReplayView` gives
    at `step`; `data` (and `replayed_at`, when that event happened) are the replayed case
    data when a step was asked for, else None (the instance's own data is current).
    """

    instance_id: int
    events: list[EventView]
    page: int
    pages: int
    last_seq: int
    step: int
    completed: list[str]
    active: list[str]
    waiting: list[str]
    cancelled: list[str]
    data: dict[str, Any] | None
    replayed_at: datetime | None = None


@dataclass(frozen=True)
class TimerView:
    """A waiting timer: which instance, which element, when it comes due."""

    instance_id: int
    element_id: str
    due_at: datetime


@dataclass(frozen=True)
class ExternalTaskView:
    """A service task waiting for an outside worker: its topic, the case data it was given,
    and the lock (`worker_id` holds it until `locked_until`); `retries` is None until a failure."""

    id: str
    instance_id: int
    element_id: str
    topic: str
    data: dict[str, Any]
    retries: int | None
    locked_until: datetime | None
    worker_id: str | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class ElementDiff:
    """One element of a process that two versions differ on; `changes` says what differs in it
    (e.g. "name", "form", "due_date", "candidate_groups", "conditions", "timer", "script", "flow")."""

    element_id: str
    name: str | None
    type: str | None
    changes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class VersionDiff:
    """What changed between two versions of a process: elements added, removed and changed."""

    process_key: str
    from_version: int
    to_version: int
    added: list[ElementDiff]
    removed: list[ElementDiff]
    changed: list[ElementDiff]


@dataclass(frozen=True)
class MigrationProblem:
    """Why an instance cannot move to a version: a `reason` code (`MigrationObstacle`), the
    element it is about, and a sentence in English."""

    reason: str
    message: str
    element_id: str | None = None


@dataclass(frozen=True)
class MigrationCheck:
    """Whether an instance can move from its version to another; `problems` say why not."""

    instance_id: int
    process_key: str
    from_version: int
    to_version: int
    problems: list[MigrationProblem]

    @property
    def ok(self) -> bool:
        """True when the instance can move."""
        return not self.problems


@dataclass(frozen=True)
class VersionView:
    """One version of a process: who deployed it when, the change note, how many instances run on it."""

    process_key: str
    version: int
    kind: str
    name: str | None
    content_hash: str
    deployed_at: datetime
    deployed_by: str
    change_note: str | None
    running: int


@dataclass(frozen=True)
class DraftView:
    """A designer's draft diagram; `source` is left out of listings."""

    id: int
    owner: str
    name: str
    kind: str
    process_key: str | None
    base_version: int | None
    created_at: datetime
    updated_at: datetime
    source: bytes | None = None


@dataclass(frozen=True)
class TaskDraftView:
    """One person's saved, not completed, form of a ready task."""

    task_id: str
    owner: str
    data: dict[str, Any]
    saved_at: datetime


@dataclass(frozen=True)
class DecisionResult:
    """A decision table tried on some inputs: the rules that hit (ids and row numbers) and the outputs."""

    decision_id: str
    rule_ids: list[str]
    rows: list[int]
    outputs: dict[str, Any]
