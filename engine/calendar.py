"""The working-day calendar service: national holidays, make-up workdays and local overrides.

National data comes from the `holidays` package (engine/workdays.py). An administrator
adds local overrides (a date forced to be a workday or a holiday) that are stored in the
`calendar_override` table. The engine attaches a `Calendar` to its script engine, so
every diagram expression (`add_working_days(...)` in a timer or a due date) sees the
overrides of the database it runs against.

Overrides are read at most every `ttl_seconds` (5 s by default); a change made through
this object is seen at once, a change made by another process (the CLI, another web
worker) within the TTL. They are read on a connection of their own, outside the caller's
transaction: on SQLite an engine transaction holds the write lock, and a second
transaction would wait for it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from . import operations, workdays
from .errors import CalendarOverrideInvalid
from .models import CalendarOverride
from .operations import Action


@dataclass(frozen=True)
class CalendarDay:
    """A day that differs from the plain Monday-to-Friday week, and why.

    - kind: `holiday` (a weekday off) or `workday` (a weekend day worked);
    - source: `national` (the State Council schedule) or `local` (an override here).
    """

    day: date
    kind: str
    name: str
    source: str
    created_by: str | None = None


@dataclass(frozen=True)
class CalendarYear:
    """One year of the calendar as `anjie calendar show` prints it.

    `published` is False when the year has no make-up workdays yet: the State Council
    publishes each year's schedule late in the year before, and the library with it.
    """

    year: int
    days: list[CalendarDay]
    working_days: int
    published: bool


def parse_day(value: date | str) -> date:
    """A date from an ISO string (or a date), or CalendarOverrideInvalid."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise CalendarOverrideInvalid(str(value), "not an ISO date (YYYY-MM-DD)") from None


class _LiveOverrides(Mapping[str, str]):
    """The overrides of one calendar, read from the database on first use (then cached)."""

    def __init__(self, calendar: Calendar) -> None:
        self._calendar = calendar

    def __getitem__(self, key: str) -> str:
        return self._calendar.overrides()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._calendar.overrides())

    def __len__(self) -> int:
        return len(self._calendar.overrides())


class Calendar:
    """Read and change the working-day calendar of one database."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Callable[[], datetime],
        *,
        ttl_seconds: float = 5.0,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self.ttl_seconds = ttl_seconds
        self._cached: dict[str, str] | None = None
        self._loaded_at = 0.0
        self._lock = threading.Lock()
        self.live = _LiveOverrides(self)

    # -- overrides -----------------------------------------------------------------

    def overrides(self) -> dict[str, str]:
        """Local overrides, ISO date -> `workday` or `holiday` (cached for `ttl_seconds`)."""
        cached = self._cached
        # A cache age, not a business time: monotonic, not the engine clock.
        if cached is not None and time.monotonic() - self._loaded_at < self.ttl_seconds:
            return cached
        with self._lock:
            fresh = self._load()
            self._cached, self._loaded_at = fresh, time.monotonic()
            return fresh

    def _load(self) -> dict[str, str]:
        db = self._sessions.kw["bind"]
        raw = db.raw_connection()  # outside any engine transaction (see module docstring)
        try:
            cur = raw.cursor()
            cur.execute("SELECT day, kind FROM calendar_override")
            rows = cur.fetchall()
            cur.close()
        finally:
            raw.close()
        return {str(day): str(kind) for day, kind in rows}

    def invalidate(self) -> None:
        """Forget the cached overrides; the next use reads them again."""
        self._cached = None

    def set_override(self, day: date | str, kind: str, *, actor: str) -> CalendarDay:
        """Force `day` to be a `workday` or a `holiday` here (replacing an earlier override)."""
        when = parse_day(day)
        if kind not in workdays.KINDS:
            raise CalendarOverrideInvalid(kind, "kind must be 'workday' or 'holiday'")
        with self._sessions() as s, s.begin():
            row = s.get(CalendarOverride, when.isoformat())
            operations.append(s, Action.CALENDAR_OVERRIDE, at=self._clock(), actor=actor, target=when.isoformat(),
                              before={"kind": row.kind} if row is not None else None, after={"kind": kind})
            if row is None:
                row = CalendarOverride(
                    day=when.isoformat(), kind=kind, created_at=self._clock(), created_by=actor
                )
                s.add(row)
            else:
                row.kind, row.created_at, row.created_by = kind, self._clock(), actor
        self.invalidate()
        return CalendarDay(when, kind, "local override", "local", actor)

    def clear_override(self, day: date | str) -> bool:
        """Remove the override of `day` (back to the national calendar); False if there was none."""
        when = parse_day(day)
        with self._sessions() as s, s.begin():
            row = s.get(CalendarOverride, when.isoformat())
            if row is not None:
                operations.append(s, Action.CALENDAR_OVERRIDE, at=self._clock(), target=when.isoformat(),
                                  before={"kind": row.kind}, after=None)
                s.delete(row)
        self.invalidate()
        return row is not None

    def list_overrides(self, year: int | None = None) -> list[CalendarDay]:
        """The local overrides (of one year, or all), in date order."""
        with self._sessions() as s:
            q = select(CalendarOverride).order_by(CalendarOverride.day)
            if year is not None:
                q = q.where(CalendarOverride.day.startswith(f"{year:04d}-"))
            return [
                CalendarDay(
                    date.fromisoformat(r.day), r.kind, "local override", "local", r.created_by
                )
                for r in s.scalars(q)
            ]

    # -- reading the calendar ------------------------------------------------------

    def show(self, year: int) -> CalendarYear:
        """Every holiday, make-up workday and local override of `year`; its working-day count."""
        local = {d.day: d for d in self.list_overrides(year)}
        days: dict[date, CalendarDay] = {}
        for day, name in workdays.public_holidays(year).items():
            if day.weekday() < 5:  # a festival on a Sunday changes nothing by itself
                days[day] = CalendarDay(day, workdays.HOLIDAY, name, "national")
        make_up = workdays.make_up_workdays(year)
        for day in make_up:
            days[day] = CalendarDay(day, workdays.WORKDAY, "make-up workday (调休)", "national")
        days.update(local)
        overrides = {d.isoformat(): c.kind for d, c in local.items()}
        first, count = date(year, 1, 1), 0
        for offset in range((date(year + 1, 1, 1) - first).days):
            if workdays.is_working_day(first + timedelta(days=offset), overrides):
                count += 1
        return CalendarYear(year, [days[d] for d in sorted(days)], count, bool(make_up))

    def is_working_day(self, day: date | str) -> bool:
        """True when `day` is a working day here (overrides first, then the national calendar)."""
        return workdays.is_working_day(parse_day(day), self.overrides())

    def add_working_days(self, start: date | str, days: int) -> date:
        """The date `days` working days after `start`, with this database's overrides."""
        return workdays.add_working_days(parse_day(start), days, self.overrides())

    # -- the engine hook -------------------------------------------------------------

    def attach(self, script_engine: Any) -> None:
        """Make every script and expression of `script_engine` see these overrides."""
        env = script_engine.environment
        evaluate, execute = env.evaluate, env.execute
        live = self.live

        def evaluate_here(*args: Any, **kwargs: Any) -> Any:
            with workdays.using_overrides(live):
                return evaluate(*args, **kwargs)

        def execute_here(*args: Any, **kwargs: Any) -> Any:
            with workdays.using_overrides(live):
                return execute(*args, **kwargs)

        setattr(env, "evaluate", evaluate_here)  # noqa: B010 - an instance-level wrap on purpose
        setattr(env, "execute", execute_here)  # noqa: B010
