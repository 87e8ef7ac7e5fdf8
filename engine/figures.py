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

from sqlalchemy import ColumnElement, Integer, case, cast, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from .chain import utc
from .models import HumanTask, Instance, User
from .rates import Rate, case_conditions, numerators, session_for
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
        rates, by = _grouped_counts(session, conditions, as_of)
        total = next(iter(rates.values())).denominator
        overdue_count, overdue, near_count, near = _due(session, conditions, as_of, near_due)
        return Figures(
            campaign_id=campaign_id, as_of=as_of, total=total, rates=rates,
            by_colour=by["colour"], by_class=by["class"], by_subject=by["subject"], by_leader=by["leader"],
            by_unit=_by_unit(session, by["handler"]), by_phase=_by_phase(session, conditions),
            overdue_count=overdue_count, near_due_count=near_count, overdue=overdue, near_due=near,
            weekly=weekly_trend(session, conditions, as_of, since or as_of - timedelta(weeks=TREND_WEEKS)))


#: The columns the counts are by, as `_grouped_counts` names them.
#: Leader first: grouping by a column with an index of its own (colour, class) would make SQLite
#: walk that index and read each case's row instead of the covering ix_instance_figures.
GROUPS = {"leader": Instance.case_leader, "handler": Instance.case_handler, "subject": Instance.subject,
          "colour": Instance.risk_colour, "class": Instance.case_class}


def _grouped_counts(session: Reader, conditions: list[ColumnElement[bool]],
                    as_of: datetime) -> tuple[dict[str, Rate], dict[str, list[tuple[str, int]]]]:
    """The rates and the counts by colour, class, subject, leader and handler, from ONE grouped
    statement over the covering index (a group per combination; summed here per column)."""
    parts = numerators(as_of)
    columns = list(GROUPS.values())
    rows = session.execute(
        select(*columns, func.count(), *[func.count(case((cond, 1))) for cond in parts.values()])
        .where(*conditions).group_by(*columns)).all()
    by: dict[str, dict[str, int]] = {name: {} for name in GROUPS}
    totals = [0] * (1 + len(parts))
    for row in rows:
        for i, name in enumerate(GROUPS):
            key = row[i] or ""
            by[name][key] = by[name].get(key, 0) + int(row[len(GROUPS)])
        for j in range(len(totals)):
            totals[j] += int(row[len(GROUPS) + j] or 0)
    rates = {name: Rate(totals[1 + j], totals[0]) for j, name in enumerate(parts)}
    return rates, {name: _sorted(counts.items()) for name, counts in by.items()}


def _sorted(rows: Any) -> list[tuple[str, int]]:
    """Largest first, ties by name; cases without a value are counted under ""."""
    return sorted(((key or "", int(n)) for key, n in rows), key=lambda kv: (-kv[1], kv[0]))


def _by_unit(session: Reader, by_handler: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Cases by the unit (单位) of their handler, as the user list records it."""
    names = [h for h, _ in by_handler if h]
    units: dict[str, str | None] = {}
    if names:
        units = {name: unit for name, unit in session.execute(
            select(User.username, User.unit).where(User.username.in_(names))).all()}
    found: dict[str, int] = {}
    for handler, n in by_handler:
        unit = units.get(handler) or ""
        found[unit] = found.get(unit, 0) + n
    return _sorted(found.items())


def _by_phase(session: Reader, conditions: list[ColumnElement[bool]]) -> list[tuple[str, int]]:
    """Cases by the step they stand at (the name of each ready task; a case at two steps at
    once counts at both). Each task's case is checked on ix_instance_counted_by_id."""
    name = func.coalesce(HumanTask.name, HumanTask.element_id)
    rows = session.execute(
        select(name, func.count(func.distinct(HumanTask.instance_id)))
        .join(Instance, Instance.id == HumanTask.instance_id)
        .where(HumanTask.state == TaskState.READY, *conditions).group_by(name)).all()
    return _sorted(rows)


def _due(session: Reader, conditions: list[ColumnElement[bool]], as_of: datetime,
         near_due: timedelta) -> tuple[int, list[DueCase], int, list[DueCase]]:
    """Cases by their most urgent ready task (handling or, once closed, a follow-up visit):
    overdue (due before `as_of`) and near due (due within `near_due`), how many of each and the
    most urgent LIST_LIMIT of each. One statement over the ready tasks due before the horizon."""
    first_due = func.min(HumanTask.due_at).label("first_due")
    per_case = (select(HumanTask.instance_id, first_due)
                .join(Instance, Instance.id == HumanTask.instance_id)
                .where(HumanTask.state == TaskState.READY, HumanTask.due_at < as_of + near_due, *conditions)
                .group_by(HumanTask.instance_id).subquery())
    # Counted in SQL; only the listed cases come back.
    late_count, soon_count = session.execute(select(
        func.count(case((per_case.c.first_due < as_of, 1))),
        func.count(case((per_case.c.first_due >= as_of, 1))))).one()

    def most_urgent(window: ColumnElement[bool]) -> list[tuple[int, datetime]]:
        return [(ident, utc(due)) for ident, due in session.execute(
            select(per_case.c.instance_id, per_case.c.first_due).where(window)
            .order_by(per_case.c.first_due, per_case.c.instance_id).limit(LIST_LIMIT)).all()]

    late = most_urgent(per_case.c.first_due < as_of)
    soon = most_urgent(per_case.c.first_due >= as_of)
    shown = late[:LIST_LIMIT] + soon[:LIST_LIMIT]
    ids = [ident for ident, _ in shown]
    details = {r[0]: r[1:] for r in session.execute(
        select(Instance.id, Instance.business_key, Instance.data["title"].as_string(), Instance.case_leader,
               Instance.risk_colour).where(Instance.id.in_(ids)))} if ids else {}
    names = _task_names(session, shown)

    def listed(items: list[tuple[int, datetime]], is_late: bool) -> list[DueCase]:
        cases = []
        for ident, due in items[:LIST_LIMIT]:
            key, title, leader, colour = details.get(ident, (None, None, None, None))
            days = (as_of - due).days if is_late else (due - as_of).days
            cases.append(DueCase(ident, key, title, leader, colour, names.get(ident), due, days))
        return cases

    return int(late_count or 0), listed(late, True), int(soon_count or 0), listed(soon, False)


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

