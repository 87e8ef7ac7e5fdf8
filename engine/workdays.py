"""Working days on the China calendar: public holidays and make-up workdays (调休).

The data comes from the `holidays` package (updated as the State Council publishes each
year's schedule); local overrides (a date forced to workday or holiday) sit on top.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, timedelta
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays

WORKDAY = "workday"
HOLIDAY = "holiday"
KINDS = (WORKDAY, HOLIDAY)

#: The calendar's own time zone: a working day is a Beijing date, whatever zone a moment is in.
BEIJING = ZoneInfo("Asia/Shanghai")

# Local overrides of the current engine: ISO date -> "workday" or "holiday". The engine
# sets this around every script and expression (see engine/calendar.py), so diagram
# helpers such as add_working_days see the overrides of the database they run against.
overrides: ContextVar[Mapping[str, str]] = ContextVar(
    "anjie_calendar_overrides", default=MappingProxyType({})
)


@contextmanager
def using_overrides(local: Mapping[str, str]) -> Iterator[None]:
    """Make `local` the overrides seen by working-day arithmetic inside the block."""
    token = overrides.set(local)
    try:
        yield
    finally:
        overrides.reset(token)


@lru_cache(maxsize=64)
def _china(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("CN", years=year)


def public_holidays(year: int) -> dict[date, str]:
    """The national days off of `year` (festivals and the days moved to them), with names."""
    return {day: str(name) for day, name in sorted(_china(year).items())}


def make_up_workdays(year: int) -> list[date]:
    """Weekend days of `year` worked (调休); empty until that year's schedule is published."""
    weekend_workdays: set[date] = getattr(_china(year), "weekend_workdays", set())
    return sorted(d for d in weekend_workdays if d.year == year)


def is_working_day(day: date, local: Mapping[str, str] | None = None) -> bool:
    """True when `day` is a working day: overrides first, then the national calendar."""
    local = overrides.get() if local is None else local
    forced = local.get(day.isoformat())
    if forced is not None:
        return forced == WORKDAY
    calendar = _china(day.year)
    working: bool = calendar.is_working_day(day)
    return working


def add_working_days(start: date, days: int, local: Mapping[str, str] | None = None) -> date:
    """The date `days` working days after `start` (start itself not counted)."""
    if days < 0:
        raise ValueError("days must be zero or more")
    local = overrides.get() if local is None else local
    current = start
    left = days
    while left > 0:
        current += timedelta(days=1)
        if is_working_day(current, local):
            left -= 1
    return current


def next_working_day(day: date, local: Mapping[str, str] | None = None) -> date:
    """`day` itself when it is a working day, else the first working day after it."""
    local = overrides.get() if local is None else local
    current = day
    while not is_working_day(current, local):
        current += timedelta(days=1)
    return current


def next_day_of_month(after: date, day: int) -> date:
    """The first date strictly after `after` that falls on day `day` of its month.

    For monthly deadlines such as "the report is due by the 20th" (月报制): SpiffWorkflow's
    `P1M` cycle is a fixed number of days and drifts, this does not. Day 29-31 is moved to
    the last day of shorter months.
    """
    if not 1 <= day <= 31:
        raise ValueError("day must be 1-31")
    year, month = after.year, after.month
    for _ in range(2):
        last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
        candidate = date(year, month, min(day, last))
        if candidate > after:
            return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    raise AssertionError("unreachable")
