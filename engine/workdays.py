"""Working days on the China calendar: public holidays and make-up workdays (调休).

The data comes from the `holidays` package (updated as the State Council publishes each
year's schedule); local overrides (a date forced to workday or holiday) sit on top.
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import date, timedelta
from functools import lru_cache

import holidays

# Local overrides of the current engine: ISO date -> "workday" or "holiday".
overrides: ContextVar[dict[str, str]] = ContextVar("anjie_calendar_overrides", default={})


@lru_cache(maxsize=64)
def _china(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("CN", years=year)


def is_working_day(day: date, local: dict[str, str] | None = None) -> bool:
    """True when `day` is a working day: overrides first, then the national calendar."""
    local = overrides.get() if local is None else local
    forced = local.get(day.isoformat())
    if forced is not None:
        return forced == "workday"
    calendar = _china(day.year)
    working: bool = calendar.is_working_day(day)
    return working


def add_working_days(start: date, days: int, local: dict[str, str] | None = None) -> date:
    """The date `days` working days after `start` (start itself not counted)."""
    if days < 0:
        raise ValueError("days must be zero or more")
    current = start
    left = days
    while left > 0:
        current += timedelta(days=1)
        if is_working_day(current, local):
            left -= 1
    return current
