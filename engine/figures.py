"""The dashboard's figures of one campaign or of the whole office, counted in SQL.

Everything here is an aggregate over indexed columns of the instance and task tables (the rate
columns the recorder copies at save, engine/case_columns.py), never a loop over workflow states,
so that 100,000 cases are counted in well under a second. The cases counted are the rates'
counted cases (engine/rates.py): every count, list and trend is over the same cases as the rates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, cast, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from .chain import utc
from .models import HumanTask, Instance, User
from .rates import Rate, campaign_rates, case_conditions, numerators, session_for
from .states import TaskState

#: What the figures read through: a session or a connection.
Reader = Session | Connection

#: Days are counted in Beijing time (UTC+8, no daylight saving), as the offices count them.
OFFICE_OFFSET = timedelta(hours=8)
#: How many weeks the trend shows when a campaign does not say where to start.
TREND_WEEKS = 12
#: How many cases the overdue and near-due lists show (the counts are over all of them).
LIST_LIMIT = 50


@dataclass(frozen=True)
class DueCase:
    """One case in the overdue or near-due list: its most urgent ready task."""

    instance_id: int
    business_key: str | None
    title: str | None
    case_leader: str | None
    risk_colour: str | None
    task_name: str | None
    due_at: datetime
    days: int  # days overdue (overdue list) or days left (near-due list), whole days


@dataclass(frozen=True)
class WeekFigures:
    """One ISO week of the trend: cases registered, closed and resolved in it."""

    week: str  # "2026-W10"
    starts: date  # its Monday
    registered: int
    closed: int
    resolved: int


@dataclass(frozen=True)
class Figures:
    """What the dashboard shows for one campaign (or the office, `campaign_id` None) at `as_of`."""

    campaign_id: str | None
    as_of: datetime
    total: int
    rates: dict[str, Rate]
    by_colour: list[tuple[str, int]]
    by_class: list[tuple[str, int]]
    by_subject: list[tuple[str, int]]
    by_unit: list[tuple[str, int]]
    by_leader: list[tuple[str, int]]
    by_phase: list[tuple[str, int]]  # (task name, open cases standing there)
    overdue_count: int
    near_due_count: int
    overdue: list[DueCase] = field(default_factory=list)
    near_due: list[DueCase] = field(default_factory=list)
    weekly: list[WeekFigures] = field(default_factory=list)


def dashboard_figures(source: Session | Any, campaign_id: str | None, as_of: datetime, *,
                      near_due: timedelta = timedelta(days=3), since: datetime | None = None) -> Figures:
    """Every figure of the dashboard for one campaign (None: the whole office) as at `as_of`.

    `source` is a Session, a SQLAlchemy Engine or the product's Engine (as `campaign_rates`
    takes). The weekly trend runs from `since` (default: twelve weeks before `as_of`)."""
    as_of = utc(as_of)
    with session_for(source) as session:
        conditions = case_conditions(campaign_id, as_of)
        rates = campaign_rates(session, campaign_id, as_of)
        total = next(iter(rates.values())).denominator
        by = {name: _grouped(session, column, conditions) for name, column in (
            ("colour", Instance.risk_colour), ("class", Instance.case_class), ("subject", Instance.subject),
            ("leader", Instance.case_leader))}
        open_cases = [*conditions, ~numerators(as_of)["closed_rate"]]
        overdue_count, overdue = _due(session, open_cases, HumanTask.due_at < as_of, as_of, late=True)
        near_count, near = _due(session, open_cases, and_(HumanTask.due_at >= as_of,
                                                          HumanTask.due_at < as_of + near_due), as_of, late=False)
        return Figures(
            campaign_id=campaign_id, as_of=as_of, total=total, rates=rates,
            by_colour=by["colour"], by_class=by["class"], by_subject=by["subject"], by_leader=by["leader"],
            by_unit=_by_unit(session, conditions), by_phase=_by_phase(session, conditions),
            overdue_count=overdue_count, near_due_count=near_count, overdue=overdue, near_due=near,
            weekly=weekly_trend(session, conditions, as_of, since or as_of - timedelta(weeks=TREND_WEEKS)))


def _grouped(session: Reader, column: Any, conditions: list[ColumnElement[bool]]) -> list[tuple[str, int]]:
    rows = session.execute(select(column, func.count()).where(*conditions).group_by(column)).all()
    return _sorted(rows)


def _sorted(rows: Any) -> list[tuple[str, int]]:
    """Largest first, ties by name; cases without a value are counted under ""."""
    return sorted(((key or "", int(n)) for key, n in rows), key=lambda kv: (-kv[1], kv[0]))


def _by_unit(session: Reader, conditions: list[ColumnElement[bool]]) -> list[tuple[str, int]]:
    """Cases by the unit (单位) of their handler, as the user list records it."""
    rows = session.execute(
        select(User.unit, func.count(Instance.id)).select_from(Instance)
        .outerjoin(User, User.username == Instance.case_handler).where(*conditions).group_by(User.unit)).all()
    return _sorted(rows)


def _by_phase(session: Reader, conditions: list[ColumnElement[bool]]) -> list[tuple[str, int]]:
    """Open cases by the step they stand at (the name of each ready task; a case at two steps
    at once counts at both)."""
    name = func.coalesce(HumanTask.name, HumanTask.element_id)
    rows = session.execute(
        select(name, func.count(func.distinct(HumanTask.instance_id))).select_from(HumanTask)
        .join(Instance, Instance.id == HumanTask.instance_id)
        .where(HumanTask.state == TaskState.READY, *conditions).group_by(name)).all()
    return _sorted(rows)


def _due(session: Reader, conditions: list[ColumnElement[bool]], window: ColumnElement[bool], as_of: datetime,
         *, late: bool) -> tuple[int, list[DueCase]]:
    """How many open cases have a ready task due in `window`, and the most urgent of them."""
    first_due = func.min(HumanTask.due_at).label("first_due")
    per_case = (select(HumanTask.instance_id, first_due).join(Instance, Instance.id == HumanTask.instance_id)
                .where(HumanTask.state == TaskState.READY, window, *conditions)
                .group_by(HumanTask.instance_id).subquery())
    count = int(session.execute(select(func.count()).select_from(per_case)).scalar() or 0)
    rows = session.execute(
        select(Instance.id, Instance.business_key, Instance.data["title"].as_string(), Instance.case_leader,
               Instance.risk_colour, per_case.c.first_due)
        .join(per_case, per_case.c.instance_id == Instance.id)
        .order_by(per_case.c.first_due, Instance.id).limit(LIST_LIMIT)).all()
    names = _task_names(session, [(r[0], r[5]) for r in rows])
    cases = []
    for ident, key, title, leader, colour, due in rows:
        due = utc(due)
        days = (as_of - due).days if late else (due - as_of).days
        cases.append(DueCase(ident, key, title, leader, colour, names.get(ident), due, days))
    return count, cases


def _task_names(session: Reader, firsts: list[tuple[int, datetime]]) -> dict[int, str | None]:
    """The name of each listed case's most urgent ready task."""
    if not firsts:
        return {}
    wanted = {ident: utc(due) for ident, due in firsts}
    found: dict[int, str | None] = {}
    for ident, name, element, due in session.execute(
            select(HumanTask.instance_id, HumanTask.name, HumanTask.element_id, HumanTask.due_at)
            .where(HumanTask.instance_id.in_(wanted), HumanTask.state == TaskState.READY)
            .order_by(HumanTask.due_at)).all():
        if ident not in found and due is not None and utc(due) == wanted[ident]:
            found[ident] = name or element
    return found


def weekly_trend(session: Reader, conditions: list[ColumnElement[bool]], as_of: datetime,
                 since: datetime) -> list[WeekFigures]:
    """Per ISO week (Beijing days) from the week of `since` to the week of `as_of`: cases registered,
    closed and resolved in it. Counted per day in SQL, folded into weeks here."""
    since, as_of = utc(since), utc(as_of)
    first = _office_day(since)
    first -= timedelta(days=first.weekday())
    last = _office_day(as_of)
    weeks: dict[date, list[int]] = {}
    monday = first
    while monday <= last:
        weeks[monday] = [0, 0, 0]
        monday += timedelta(days=7)
    start = datetime.combine(first, datetime.min.time(), UTC) - OFFICE_OFFSET
    dialect = (session.dialect if isinstance(session, Connection) else session.get_bind().dialect).name
    closed_not_procedure = Instance.closed_by_procedure.is_(False)
    for slot, column, extra in ((0, Instance.started_at, None), (1, Instance.closed_at, None),
                                (2, Instance.closed_at, closed_not_procedure)):
        day = _day_number(column, dialect)
        query = select(day, func.count()).where(*conditions, column >= start, column <= as_of)
        if extra is not None:
            query = query.where(extra)
        for number, n in session.execute(query.group_by(day)).all():
            moment = date(1970, 1, 1) + timedelta(days=int(number))
            monday = moment - timedelta(days=moment.weekday())
            if monday in weeks:
                weeks[monday][slot] += int(n)
    return [WeekFigures(f"{m.isocalendar().year}-W{m.isocalendar().week:02d}", m, *counts)
            for m, counts in weeks.items()]


def _office_day(moment: datetime) -> date:
    return (utc(moment) + OFFICE_OFFSET).date()


def _day_number(column: Any, dialect: str) -> ColumnElement[int]:
    """Days since 1970-01-01 of a UTC timestamp column, in office (Beijing) days."""
    offset = OFFICE_OFFSET.total_seconds()
    if dialect == "sqlite":
        # CAST truncates; the days counted are after 1970, so it is the floor.
        return cast(((func.julianday(column) - 2440587.5) * 86400 + offset) / 86400, Integer)
    return cast(func.floor((func.extract("epoch", column) + offset) / 86400), Integer)

