"""Read-only queries for screens: the inbox of one user and the ledger of cases.

Both filter and sort in SQL on indexed columns (human_task state/assignee/due_at, the
human_task_group index, instance campaign/colour/class), so they stay fast with 100,000 open
tasks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal_column,
    or_,
    select,
    true,
    union,
    union_all,
)
from sqlalchemy.orm import Session, defer, sessionmaker

from engine.campaign_phases import current_phase
from engine.clock import aware
from engine.models import HumanTask, Instance, TaskGroup
from engine.states import TaskState

READY = TaskState.READY
#: The last page number anyone can ask for; larger numbers are read as this one.
MAX_PAGE = 1_000_000
#: A task due within this time is "near due" (临期).
#: The default "near due" window (Settings.near_due_days).
NEAR_DUE = timedelta(days=3)
#: Case data fields the ledger's free-text search looks in, besides the business key.
SEARCH_FIELDS: tuple[str, ...] = ("title", "petitioner_names", "subject", "demand")
#: The case data field that names the case leader (包案领导).
LEADER_FIELD = "case_leader"
#: The process of a campaign (专项行动): its instances are campaigns, not cases, and stay out of
#: the ledger unless asked for by process key.
CAMPAIGN_PROCESS = "backlog_campaign"
#: Case data that says where a still-running case stands: signed off (结案, follow-up visits and
#: the review window may still run) or not accepted (不予受理).
SIGN_OFF_FIELD, SIGNED_OFF = "sign_off_result", "accepted"
ACCEPT_FIELD, NOT_ACCEPTED = "accept_decision", "not_accepted"


@dataclass(frozen=True)
class InboxFilter:
    """What the inbox shows: all filters are optional and combine with AND."""

    process_key: str | None = None
    campaign_id: str | None = None
    risk_colour: str | None = None
    overdue: bool = False
    mine_only: bool = False


@dataclass(frozen=True)
class InboxItem:
    """One ready task in an inbox with the case fields the list shows."""

    task_id: str
    instance_id: int
    process_key: str
    element_id: str
    name: str | None
    assignee: str | None
    candidate_groups: list[str]
    due_at: datetime | None
    created_at: datetime
    business_key: str | None
    campaign_id: str | None
    risk_colour: str | None
    case_class: str | None
    title: str | None
    overdue: bool
    near_due: bool


@dataclass(frozen=True)
class InboxCounts:
    """How many tasks the inbox holds (before paging), by kind."""

    total: int = 0
    mine: int = 0
    claimable: int = 0
    overdue: int = 0
    near_due: int = 0


@dataclass(frozen=True)
class InboxPage:
    """One page of an inbox, most urgent first, with counts over all pages."""

    items: list[InboxItem]
    counts: InboxCounts
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages the filtered inbox has (at least one)."""
        return max(1, -(-self.counts.total // self.per_page))


@dataclass(frozen=True)
class LedgerFilter:
    """Ledger search and filters; all optional, combined with AND."""

    text: str | None = None
    campaign_id: str | None = None
    risk_colour: str | None = None
    case_class: str | None = None
    phase: str | None = None  # the element id of a ready task: where the case stands
    leader: str | None = None
    status: str | None = None
    overdue: bool = False
    process_key: str | None = None
    worker: str | None = None  # cases where this user holds or held a task ("my cases")
    final_petitions: bool = False  # only cases with petitions refused as final (终结后信访)


@dataclass(frozen=True)
class LedgerRow:
    """One case in the ledger (台账)."""

    instance_id: int
    process_key: str
    business_key: str | None
    campaign_id: str | None
    risk_colour: str | None
    case_class: str | None
    status: str
    title: str | None
    leader: str | None
    started_at: datetime
    ended_at: datetime | None
    phases: list[str] = field(default_factory=list)  # names of the ready tasks
    next_due_at: datetime | None = None
    overdue: bool = False
    #: "closed" once the case is signed off, "not_accepted" when refused; "" otherwise.
    stage: str = ""
    campaign_phase: str | None = None  # the phase the case's campaign is in now
    #: Petitions on this matter refused as final after 复核 (不登记、不受理、不交办).
    final_petitions: int = 0


@dataclass(frozen=True)
class LedgerPage:
    """One page of the ledger with the total over all pages and counts by colour."""

    rows: list[LedgerRow]
    total: int
    page: int
    per_page: int
    by_colour: dict[str, int] = field(default_factory=dict)
    #: Petitions refused as final over all the filtered cases (not only this page).
    final_petitions: int = 0

    @property
    def pages(self) -> int:
        """How many pages the filtered ledger has (at least one)."""
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class Choices:
    """Values present in the data, for the filter drop-downs."""

    process_keys: list[str]
    campaigns: list[str]
    phases: list[tuple[str, str]]  # (element id, name)


class Queries:
    """Inbox and ledger reads over the engine's tables."""

    def __init__(self, sessionmaker: sessionmaker[Session], clock: Callable[[], datetime], *,
                 near_due: timedelta = NEAR_DUE) -> None:
        self._sessions = sessionmaker
        self._clock = clock
        self.near_due = near_due

    # -- inbox ---------------------------------------------------------------------------------

    def inbox(self, username: str, groups: Iterable[str], flt: InboxFilter | None = None,
              *, page: int = 1, per_page: int = 50) -> InboxPage:
        """Ready tasks assigned to the user plus unassigned ones offered to the user's groups,
        most urgent (earliest due date) first; tasks without a due date come last."""
        flt = flt or InboxFilter()
        page = min(max(1, page), MAX_PAGE)  # a huge page number must not overflow OFFSET
        now = self._clock()
        groups = list(groups)
        counts_query, rows_query = _inbox_statements(_InboxShape.of(flt, bool(groups)))
        values = {"username": username, "groups": groups, "process_key": flt.process_key,
                  "campaign_id": flt.campaign_id, "risk_colour": flt.risk_colour, "now": now,
                  "near_end": now + self.near_due, "top": page * per_page, "per_page": per_page,
                  "skip": (page - 1) * per_page}
        with self._sessions() as session:
            tally = [int(v) for v in session.execute(counts_query, values).one()] + [0, 0, 0]
            rows = session.execute(rows_query, values).all()
        # The sources do not overlap: an offer is open only while nobody holds the task.
        counts = InboxCounts(total=tally[0] + tally[3], mine=tally[0], claimable=tally[3],
                             overdue=tally[1] + tally[4], near_due=tally[2] + tally[5])
        items = [
            InboxItem(
                task_id=t.id, instance_id=t.instance_id, process_key=t.process_key,
                element_id=t.element_id, name=t.name, assignee=t.assignee,
                candidate_groups=list(t.candidate_groups or []),
                due_at=aware(t.due_at, now), created_at=aware(t.created_at, now) or t.created_at,
                business_key=bk, campaign_id=camp, risk_colour=colour, case_class=cls,
                title=title,
                overdue=_is_overdue(t.due_at, now),
                near_due=_is_near_due(t.due_at, now, self.near_due),
            )
            for t, bk, camp, colour, cls, title in rows
        ]
        return InboxPage(items=items, counts=counts, page=page, per_page=per_page)

    def may_act(self, task_id: str, username: str, groups: Iterable[str]) -> bool:
        """True if the task is ready and assigned to the user, or unassigned and offered to one
        of the user's groups."""
        with self._sessions() as session:
            found = session.scalar(select(HumanTask.id).where(
                HumanTask.id == task_id, HumanTask.state == READY,
                _visible_to(username, list(groups), False)))
            return found is not None

    def involved(self, instance_id: int, username: str, groups: Iterable[str]) -> bool:
        """True if the user holds or held (was assigned or completed) a task of this case, or
        may claim one: ready, unassigned and offered to one of the user's groups."""
        groups = list(groups)
        with self._sessions() as session:
            mine = or_(HumanTask.assignee == username, HumanTask.completed_by == username)
            if groups:
                mine = or_(mine, exists().where(
                    TaskGroup.task_id == HumanTask.id, TaskGroup.group_name.in_(groups),
                    TaskGroup.open.is_(True)))
            found = session.scalar(select(HumanTask.id).where(
                HumanTask.instance_id == instance_id, mine).limit(1))
            return found is not None

    # -- ledger --------------------------------------------------------------------------------

    def ledger(self, flt: LedgerFilter | None = None, *, page: int = 1,
               per_page: int = 50) -> LedgerPage:
        """Cases matching the filter, newest first, with where each stands now."""
        flt = flt or LedgerFilter()
        page = min(max(1, page), MAX_PAGE)  # a huge page number must not overflow OFFSET
        now = self._clock()
        conditions = ledger_conditions(flt, now)
        leader = Instance.data[LEADER_FIELD].as_string()
        title = Instance.data["title"].as_string()
        signed = Instance.data[SIGN_OFF_FIELD].as_string()
        accept = Instance.data[ACCEPT_FIELD].as_string()
        finals = Instance.final_petitions  # copied from the data's final_petition_count at every save
        with self._sessions() as session:
            # One pass over the filtered cases for both totals.
            total, final_total = session.execute(
                select(func.count(), func.coalesce(func.sum(finals), 0)).select_from(Instance)
                .where(*conditions)).one()
            colours = session.execute(
                select(Instance.risk_colour, func.count()).where(*conditions)
                .group_by(Instance.risk_colour)).all()
            rows = session.execute(
                select(Instance, leader, title, signed, accept, finals)
                .options(defer(Instance.state), defer(Instance.data))  # the workflow state is large
                .where(*conditions)
                .order_by(Instance.started_at.desc(), Instance.id.desc())
                .limit(per_page).offset((page - 1) * per_page)).all()
            ids = [r[0].id for r in rows]
            tasks: dict[int, list[HumanTask]] = {}
            if ids:
                for t in session.scalars(select(HumanTask).where(
                        HumanTask.instance_id.in_(ids), HumanTask.state == READY)
                        .order_by(HumanTask.due_at)):
                    tasks.setdefault(t.instance_id, []).append(t)
            phases = campaign_phases(session, {r[0].campaign_id for r in rows if r[0].campaign_id}, now)
            result = []
            for inst, lead, ttl, sign_off, decision, final_count in rows:
                ready = tasks.get(inst.id, [])
                dues = [aware(t.due_at, now) for t in ready if t.due_at is not None]
                next_due = min((d for d in dues if d is not None), default=None)
                result.append(LedgerRow(
                    instance_id=inst.id, process_key=inst.process_key,
                    business_key=inst.business_key, campaign_id=inst.campaign_id,
                    risk_colour=inst.risk_colour, case_class=inst.case_class, status=inst.status,
                    title=ttl, leader=lead,
                    started_at=aware(inst.started_at, now) or inst.started_at,
                    ended_at=aware(inst.ended_at, now),
                    phases=[t.name or t.element_id for t in ready], next_due_at=next_due,
                    overdue=next_due is not None and next_due < now,
                    stage="closed" if sign_off == SIGNED_OFF else "not_accepted" if decision == NOT_ACCEPTED else "",
                    campaign_phase=phases.get(inst.campaign_id or ""),
                    final_petitions=int(final_count or 0)))
        return LedgerPage(rows=result, total=int(total or 0), page=page, per_page=per_page,
                          by_colour={(c or ""): int(n) for c, n in colours},
                          final_petitions=int(final_total or 0))

    def choices(self) -> Choices:
        """Distinct processes, campaigns and phases, for filter drop-downs."""
        with self._sessions() as session:
            keys = session.scalars(select(Instance.process_key).distinct()
                                   .order_by(Instance.process_key)).all()
            campaigns = session.scalars(
                select(Instance.campaign_id).where(Instance.campaign_id.is_not(None)).distinct()
                .order_by(Instance.campaign_id)).all()
            phases = session.execute(
                select(HumanTask.element_id, func.max(HumanTask.name))
                .where(HumanTask.state == READY).group_by(HumanTask.element_id)
                .order_by(HumanTask.element_id)).all()
        return Choices(process_keys=[k for k in keys if k], campaigns=[c for c in campaigns if c],
                       phases=[(e, n or e) for e, n in phases])


@dataclass(frozen=True)
class _InboxShape:
    """Which parts an inbox statement has: the filters given, and whether offers to groups count."""

    process_key: bool
    campaign_id: bool
    risk_colour: bool
    overdue: bool
    offers: bool

    @classmethod
    def of(cls, flt: InboxFilter, has_groups: bool) -> _InboxShape:
        return cls(bool(flt.process_key), bool(flt.campaign_id), bool(flt.risk_colour), flt.overdue,
                   has_groups and not flt.mine_only)


_INBOX_STATEMENTS: dict[_InboxShape, tuple[Select[Any], Select[Any]]] = {}


def _inbox_statements(shape: _InboxShape) -> tuple[Select[Any], Select[Any]]:
    """The counts and the page statements of an inbox of this shape, built once: every value
    (user, groups, filters, now, paging) is a bound parameter, so an inbox read builds no SQL
    and SQLAlchemy computes no cache key again (every API inbox call and inbox page runs them)."""
    found = _INBOX_STATEMENTS.get(shape)
    if found is None:
        found = _INBOX_STATEMENTS[shape] = _build_inbox_statements(shape)
    return found


def _build_inbox_statements(shape: _InboxShape) -> tuple[Select[Any], Select[Any]]:
    now: Any = bindparam("now", type_=HumanTask.due_at.type)
    near_end: Any = bindparam("near_end", type_=HumanTask.due_at.type)
    mine, offered = _inbox_sources(shape, now)
    # Each source is an index range (by assignee; by group offer); only the first
    # page * per_page of each is joined to tasks and cases, then merged.
    top = bindparam("top", type_=Integer)
    due_order: tuple[Any, ...] = (literal_column("due_at").asc().nulls_last(), literal_column("task_id"))
    parts = [mine.order_by(*due_order).limit(top)]
    if offered is not None:
        parts.append(offered.distinct().order_by(*due_order).limit(top))
    merged = union_all(*[select(p.subquery()) for p in parts]).subquery()
    rows = (select(HumanTask, Instance.business_key, Instance.campaign_id, Instance.risk_colour,
                   Instance.case_class, Instance.data["title"].as_string())
            .join(merged, merged.c.task_id == HumanTask.id)
            .join(Instance, Instance.id == HumanTask.instance_id)
            .order_by(HumanTask.due_at.asc().nulls_last(), HumanTask.id)
            .limit(bindparam("per_page", type_=Integer)).offset(bindparam("skip", type_=Integer)))

    def tally(source: Select[Any]) -> Any:
        sub = source.subquery()
        task, due = sub.c.task_id, sub.c.due_at
        return select(
            func.count(func.distinct(task)).label("total"),
            func.count(func.distinct(case((due < now, task)))).label("overdue"),
            func.count(func.distinct(case((and_(due >= now, due < near_end), task)))).label("near"),
        ).subquery()

    # Both sources in one statement (one round trip per inbox read).
    held = tally(mine)
    cols = [held.c.total, held.c.overdue, held.c.near]
    counts = select(*cols)
    if offered is not None:
        offers = tally(offered)
        counts = select(*cols, offers.c.total, offers.c.overdue, offers.c.near).select_from(
            held.join(offers, true()))
    return counts, rows


def _inbox_sources(shape: _InboxShape, now: Any) -> tuple[Select[Any], Select[Any] | None]:
    """(task_id, due_at) of the tasks the user holds, and of the open offers to the user's
    groups (None when there are none to look at), each with the filters applied."""
    mine: Select[Any] = select(HumanTask.id.label("task_id"), HumanTask.due_at.label("due_at")).where(
        HumanTask.state == READY, HumanTask.assignee == bindparam("username"))
    offered: Select[Any] | None = None
    if shape.offers:
        offered = select(TaskGroup.task_id.label("task_id"), TaskGroup.due_at.label("due_at")).where(
            TaskGroup.group_name.in_(bindparam("groups", expanding=True)), TaskGroup.open.is_(True))
    if shape.campaign_id or shape.risk_colour:
        mine = mine.join(Instance, Instance.id == HumanTask.instance_id)
        if offered is not None:
            offered = offered.join(Instance, Instance.id == TaskGroup.instance_id)
    if shape.process_key and offered is not None:
        offered = offered.join(HumanTask, HumanTask.id == TaskGroup.task_id)
    mine = mine.where(*_inbox_filters(shape, now, HumanTask.due_at))
    if offered is not None:
        offered = offered.where(*_inbox_filters(shape, now, TaskGroup.due_at))
    return mine, offered


def _visible_to(username: str, groups: list[str], mine_only: bool) -> ColumnElement[bool]:
    """Tasks the user holds or may claim, as one condition (for single-task checks)."""
    ids: Any = select(HumanTask.id).where(HumanTask.state == READY,
                                          HumanTask.assignee == username)
    if groups and not mine_only:
        offered = select(TaskGroup.task_id).where(TaskGroup.group_name.in_(groups), TaskGroup.open.is_(True))
        ids = union(ids, offered)
    return HumanTask.id.in_(ids)


def _inbox_filters(shape: _InboxShape, now: Any, due_at: Any) -> list[ColumnElement[bool]]:
    """The filter's conditions, on bound parameters; `due_at` is the due-date column of the
    source being filtered."""
    conditions: list[ColumnElement[bool]] = []
    if shape.campaign_id:
        conditions.append(Instance.campaign_id == bindparam("campaign_id"))
    if shape.risk_colour:
        conditions.append(Instance.risk_colour == bindparam("risk_colour"))
    if shape.process_key:
        conditions.append(HumanTask.process_key == bindparam("process_key"))
    if shape.overdue:
        conditions.append(due_at < now)
    return conditions


def _case_filters(campaign_id: str | None, risk_colour: str | None) -> list[ColumnElement[bool]]:
    """The conditions on the case that inbox and ledger filters share."""
    conditions: list[ColumnElement[bool]] = []
    if campaign_id:
        conditions.append(Instance.campaign_id == campaign_id)
    if risk_colour:
        conditions.append(Instance.risk_colour == risk_colour)
    return conditions


def ledger_conditions(flt: LedgerFilter, now: datetime) -> list[ColumnElement[bool]]:
    """The ledger filter as SQL conditions on the instance (the ledger page and its export share them)."""
    conditions = _case_filters(flt.campaign_id, flt.risk_colour)
    if flt.process_key:
        conditions.append(Instance.process_key == flt.process_key)
    else:
        conditions.append(Instance.process_key != CAMPAIGN_PROCESS)
    if flt.worker:
        conditions.append(exists().where(HumanTask.instance_id == Instance.id, or_(
            HumanTask.assignee == flt.worker, HumanTask.completed_by == flt.worker)))
    if flt.case_class:
        conditions.append(Instance.case_class == flt.case_class)
    if flt.status:
        conditions.append(Instance.status == flt.status)
    if flt.leader:
        conditions.append(Instance.data[LEADER_FIELD].as_string() == flt.leader)
    if flt.phase:
        conditions.append(exists().where(HumanTask.instance_id == Instance.id,
                                         HumanTask.state == READY,
                                         HumanTask.element_id == flt.phase))
    if flt.overdue:
        conditions.append(exists().where(HumanTask.instance_id == Instance.id,
                                         HumanTask.state == READY, HumanTask.due_at < now))
    if flt.final_petitions:
        conditions.append(Instance.final_petitions > 0)
    if flt.text and flt.text.strip():
        pattern = f"%{_escape_like(flt.text.strip())}%"
        fields: list[ColumnElement[bool]] = [Instance.business_key.ilike(pattern, escape="\\")]
        fields += [Instance.data[f].as_string().ilike(pattern, escape="\\") for f in SEARCH_FIELDS]
        if flt.text.strip().isdigit():
            fields.append(Instance.id == int(flt.text.strip()))
        conditions.append(or_(*fields))
    return conditions


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def campaign_phases(session: Session, campaign_ids: set[str] | None, now: datetime) -> dict[str, str]:
    """The current phase of each of these campaigns (every campaign when None), by campaign id,
    from the campaign's own data."""
    if campaign_ids is not None and not campaign_ids:
        return {}
    query = select(Instance.campaign_id, Instance.data).where(Instance.process_key == CAMPAIGN_PROCESS)
    if campaign_ids is not None:
        query = query.where(Instance.campaign_id.in_(campaign_ids))
    found: dict[str, str] = {}
    for campaign_id, data in session.execute(query.order_by(Instance.id)).all():
        phase = current_phase(data or {}, now)
        if campaign_id and phase:
            found[campaign_id] = phase
    return found


def _is_overdue(due: datetime | None, now: datetime) -> bool:
    at = aware(due, now)
    return at is not None and at < now


def _is_near_due(due: datetime | None, now: datetime, window: timedelta) -> bool:
    at = aware(due, now)
    return at is not None and now <= at < now + window
