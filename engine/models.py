"""Typed SQLAlchemy models: deployments, instances, human tasks, timers, events, accounts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    """The one declarative base of the product's schema."""

    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, datetime: DateTime(timezone=True)}


class Deployment(Base):
    """One version of one process (or decision) as deployed from a diagram file."""

    __tablename__ = "deployment"
    __table_args__ = (UniqueConstraint("process_key", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_key: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))  # bpmn or dmn
    name: Mapped[str | None] = mapped_column(String(400))
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    # Large and rarely needed: loaded only when asked for (specs and elements are cached).
    source: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    # The serialized process spec (with its sub-process specs), stored once per version
    # instead of once per instance save.
    spec: Mapped[dict[str, Any] | None] = mapped_column(JSON, deferred=True)
    # Per element: name, lane, candidate groups, assignee and due-date expressions, form.
    elements: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, deferred=True)
    deployed_at: Mapped[datetime]
    deployed_by: Mapped[str] = mapped_column(String(200))
    # What the designer said changed in this version (the designer's deploy box asks for it).
    change_note: Mapped[str | None] = mapped_column(Text)

    instances: Mapped[list[Instance]] = relationship(back_populates="deployment")


class DesignDraft(Base):
    """A diagram a designer is working on, kept server-side until deployed or deleted; it may
    have errors (a draft is checked, never run)."""

    __tablename__ = "design_draft"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner: Mapped[str] = mapped_column(String(200), index=True)
    name: Mapped[str] = mapped_column(String(400))
    kind: Mapped[str] = mapped_column(String(10))  # bpmn or dmn
    # The deployed process (and version) the draft was opened from, if any.
    process_key: Mapped[str | None] = mapped_column(String(200))
    base_version: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class TaskDraft(Base):
    """What one person typed into a ready task's form without completing it (engine/task_drafts.py).
    Keyed by task id and owner; no foreign key, as task rows are rebuilt from the workflow."""

    __tablename__ = "task_draft"
    __table_args__ = (UniqueConstraint("task_id", "owner", name="uq_task_draft_task_owner"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[str] = mapped_column(String(36))
    instance_id: Mapped[int] = mapped_column(Integer, index=True)
    element_id: Mapped[str] = mapped_column(String(200))
    owner: Mapped[str] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    saved_at: Mapped[datetime]


class Instance(Base):
    """One running (or finished) process instance and its persisted workflow state."""

    __tablename__ = "instance"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployment.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int] = mapped_column(Integer)
    business_key: Mapped[str | None] = mapped_column(String(200), index=True)
    campaign_id: Mapped[str | None] = mapped_column(String(200), index=True)
    # Copied from the case data at every save so the ledger and inbox can filter in SQL.
    risk_colour: Mapped[str | None] = mapped_column(String(20), index=True)
    case_class: Mapped[str | None] = mapped_column(String(20), index=True)
    #: Petitions refused as final after 复核 (the data's final_petition_count), counted by the ledger.
    final_petitions: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The rates' and figures' columns (engine/rates.py, engine/figures.py), copied at every save.
    #: The data's case_closed_at: when the case was last closed (办结), ordinarily or by procedure.
    closed_at: Mapped[datetime | None]
    #: The data's closed_by_procedure (程序性办结): closed, but not counted as resolved.
    closed_by_procedure: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    #: The data's reopened_count, and when the recorder last saw it grow (a reopening).
    reopens: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reopened_at: Mapped[datetime | None]
    #: When the data's petitioning_stopped (息访) was first recorded true since the last reopening.
    stopped_at: Mapped[datetime | None]
    #: False for matters the rates leave out: not accepted, already final, litigation-related.
    counted: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    subject: Mapped[str | None] = mapped_column(String(100))
    case_leader: Mapped[str | None] = mapped_column(String(200))
    case_handler: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Deferred: a writer whose workflow is cached (engine/persistence.py) never reads it.
    state: Mapped[str] = mapped_column(Text, deferred=True)
    serializer_version: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    incident_element: Mapped[str | None] = mapped_column(String(200))
    incident_message: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime]
    started_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default="")

    deployment: Mapped[Deployment] = relationship(back_populates="instances")

    __mapper_args__ = {"version_id_col": revision}
    __table_args__ = (
        # A business key (case number) names one case of its process; cases without one are many.
        Index("uq_instance_process_business_key", "process_key", "business_key", unique=True),
        # The dashboard reads every counted case of a campaign (or the office) from this index
        # alone: the columns added after `state` sit behind its overflow pages in SQLite, so a
        # read of the table itself would walk each case's saved workflow.
        Index("ix_instance_figures", "counted", "campaign_id", "started_at", "closed_at", "closed_by_procedure",
              "reopened_at", "stopped_at", "risk_colour", "case_class", "subject", "case_leader", "case_handler"),
        # The dashboard's task counts check each task's case on this one, for the same reason.
        Index("ix_instance_counted_by_id", "id", "counted", "campaign_id", "started_at"),
    )


class HumanTask(Base):
    """A user or manual task as the inbox sees it: an index over workflow state."""

    __tablename__ = "human_task"
    __table_args__ = (
        Index("ix_human_task_state_assignee_due", "state", "assignee", "due_at"),
        Index("ix_human_task_state_due", "state", "due_at"),
        # Per-case lookups ("this case's ready tasks", "is this case overdue") go by case
        # first; without it the ledger's overdue filter scanned every overdue task per case.
        Index("ix_human_task_instance_state_due", "instance_id", "state", "due_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id"))
    process_key: Mapped[str] = mapped_column(String(200))
    element_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(400))
    lane: Mapped[str | None] = mapped_column(String(200))
    assignee: Mapped[str | None] = mapped_column(String(200))
    candidate_groups: Mapped[list[Any]] = mapped_column(JSON, default=list)
    due_at: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(200))


class TaskGroup(Base):
    """One candidate group of one human task. `open` is True while the task is ready and
    nobody holds it (an offer to the group); with the due date copied here, a group inbox
    is one index range, however many tasks the database holds."""

    __tablename__ = "human_task_group"
    __table_args__ = (
        Index("ix_human_task_group_offer", "group_name", "open", "due_at"),
        # Rebuilding a case's offers (repair, a move to another version) deletes them by case:
        # without it each rebuild scanned every offer of the database.
        Index("ix_human_task_group_instance_id", "instance_id"),
    )

    task_id: Mapped[str] = mapped_column(
        ForeignKey("human_task.id", ondelete="CASCADE"), primary_key=True
    )
    group_name: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instance.id"))
    due_at: Mapped[datetime | None]
    open: Mapped[bool] = mapped_column(Boolean, default=True)


class Timer(Base):
    """A waiting timer event and when it comes due; fire_due_timers reads only these rows."""

    __tablename__ = "timer"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the Spiff task id
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id"), index=True)
    element_id: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime] = mapped_column(index=True)


class ExternalTask(Base):
    """A service task waiting for an outside worker: its topic, the case data it was given, and
    who holds it until when. fetch_and_lock reads only these rows; the row goes when the task ends."""

    __tablename__ = "external_task"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the Spiff task id
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id"), index=True)
    element_id: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(200), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    worker_id: Mapped[str | None] = mapped_column(String(200))
    locked_until: Mapped[datetime | None]
    # None until a worker reports a failure; 0 means retries are used up (an incident).
    retries: Mapped[int | None]
    not_before: Mapped[datetime | None]  # the back-off after a failure
    error_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class Event(Base):
    """One append-only history event, chained to the previous one of its instance by hash."""

    __tablename__ = "event"
    __table_args__ = (UniqueConstraint("instance_id", "seq"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    # Read by (instance_id, seq): the unique index serves them (migration 0018 dropped the other).
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id"))
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(40))
    element_id: Mapped[str | None] = mapped_column(String(200))
    task_id: Mapped[str | None] = mapped_column(String(36))
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime]
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # History format (engine/chain.py): 2 also seals the digests of the instance's data and of
    # its open tasks as the event left them; events written before keep format 1.
    format: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    data_digest: Mapped[str | None] = mapped_column(String(64))
    tasks_digest: Mapped[str | None] = mapped_column(String(64))
    # Format 3 stores its hash as 32 bytes here (`hash` and `prev_hash` hold ""), and, on the
    # last event of a batch, the data and tasks digests as 64 bytes in `seal`.
    digest: Mapped[bytes | None] = mapped_column(LargeBinary)
    seal: Mapped[bytes | None] = mapped_column(LargeBinary)


class User(Base):
    """A person who signs in; groups map to diagram lanes and candidate groups."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(200), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    #: The unit (单位) the user works in, shown beside the name in user pickers.
    unit: Mapped[str | None] = mapped_column(String(200))
    #: Where reminders of near-due and overdue work are mailed (none: reminders in the app only).
    email: Mapped[str | None] = mapped_column(String(320))
    password_hash: Mapped[str] = mapped_column(String(400))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    # A web session is valid only while it carries the user's current generation: logout,
    # a new password and disabling the user raise it, ending every session at once.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    groups: Mapped[list[UserGroup]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )


class UserGroup(Base):
    """Membership of one user in one group (role)."""

    __tablename__ = "app_user_group"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True
    )
    group_name: Mapped[str] = mapped_column(String(200), primary_key=True)

    user: Mapped[User] = relationship(back_populates="groups")


class ApiToken(Base):
    """A bearer token for the JSON API; only its hash is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[datetime | None]


class LoginThrottle(Base):
    """Failed logins from one client address for one user name (known or not), and when the
    next attempt may be checked: each failure past the limit doubles the wait."""

    __tablename__ = "login_throttle"

    client: Mapped[str] = mapped_column(String(100), primary_key=True)
    username: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None]


class CalendarOverride(Base):
    """A local working-day override: a date forced to be a workday or a holiday."""

    __tablename__ = "calendar_override"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # ISO date
    kind: Mapped[str] = mapped_column(String(10))  # workday or holiday
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))


class Operation(Base):
    """One entry of the system-wide operation log: who did what, when, from which address, to
    what, with the before and after. Append-only (the database refuses UPDATE and DELETE) and
    hash-chained like case history, one chain for the whole system."""

    __tablename__ = "operation"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(200), index=True)
    address: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60), index=True)
    target: Mapped[str | None] = mapped_column(String(400), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class Checkpoint(Base):
    """A signed checkpoint: the chain head of every case and of the operation log at one
    moment, a Merkle root over them and its Ed25519 signature (the key is never stored here;
    the same checkpoint is written to the auditor's directory)."""

    __tablename__ = "checkpoint"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    root: Mapped[str] = mapped_column(String(64))
    cases: Mapped[int] = mapped_column(Integer)
    #: The canonical JSON that is signed: time, root, case count, operation-log head, key id.
    statement: Mapped[str] = mapped_column(Text)
    #: The JSON list of [case id, last event number, last hash] the root is made of.
    heads: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(String(128))
    key_id: Mapped[str] = mapped_column(String(64))


class ImportJob(Base):
    """One ledger import run in the background: how far it got, kept so any web process can
    show its progress, and what it imported when it ended."""

    __tablename__ = "import_job"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_key: Mapped[str] = mapped_column(String(200))
    file_name: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    campaign_id: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
class NoticeTemplate(Base):
    """One version of the template of one kind of written notice (告知书, 意见书). Each edit adds a
    version and keeps the old ones; the newest is used. A version holds either text fields
    (title, body, signature) or an uploaded .docx with the same placeholders."""

    __tablename__ = "notice_template"
    __table_args__ = (UniqueConstraint("kind", "version", name="uq_notice_template_kind_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(Text)
    docx: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    docx_filename: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class SentReminder(Base):
    """A reminder sent about one task at one threshold (near_due or overdue). The unique
    constraint is what makes it at most once, whichever scheduler process gets there first."""

    __tablename__ = "sent_reminder"
    __table_args__ = (UniqueConstraint("task_id", "threshold", name="uq_sent_reminder_task_threshold"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[str] = mapped_column(String(36))
    instance_id: Mapped[int] = mapped_column(Integer, index=True)
    threshold: Mapped[str] = mapped_column(String(20))
    recipients: Mapped[list[Any]] = mapped_column(JSON, default=list)
    sent_at: Mapped[datetime]
    #: "sent", or why no mail went (no SMTP server, nobody with an address, the server's error).
    outcome: Mapped[str] = mapped_column(String(400))
class Report(Base):
    """A weekly supervision bulletin (每周通报) or monthly statistics report (月报) of a campaign,
    generated from the case data when its task came due. The figures (`content`) are fixed at
    generation; the supervisor or coordinator adds remarks and publishes it, which completes the
    task. Listed per campaign."""

    __tablename__ = "report"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The campaign process instance whose task brought the report.
    campaign_instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id"), index=True)
    campaign_id: Mapped[str | None] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # weekly_bulletin or monthly_report
    #: The week or month it covers, as people name it (2026年第15周, 2026年4月).
    label: Mapped[str] = mapped_column(String(100))
    task_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    generated_at: Mapped[datetime]
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    remarks: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft or published
    published_at: Mapped[datetime | None]
    published_by: Mapped[str | None] = mapped_column(String(200))
