"""The working-day calendar: national holidays and 调休 from `holidays`, local overrides on top."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from engine import Engine, FakeClock
from engine.calendar import CalendarOverrideInvalid
from engine.workdays import (
    add_working_days,
    is_working_day,
    make_up_workdays,
    next_day_of_month,
    next_working_day,
)
from tests.conftest import EngineWith

from .test_timers import DEADLINE_WAIT

FRIDAY_BEFORE_NATIONAL_DAY = datetime(2025, 9, 26, 9, 0, tzinfo=UTC)


def before_national_day(engine_with: EngineWith, clock: FakeClock) -> Engine:
    """An engine on the Friday before the 2025 National Day holiday, with the deadline diagram
    deployed and a calendar cache that never goes stale."""
    clock.set(FRIDAY_BEFORE_NATIONAL_DAY)
    engine = engine_with(DEADLINE_WAIT)
    engine.calendar.ttl_seconds = 0
    return engine


def test_national_calendar_has_holidays_and_make_up_workdays() -> None:
    assert not is_working_day(date(2025, 10, 1))  # National Day
    assert not is_working_day(date(2025, 10, 8))  # day off moved from Sat 11 October
    assert is_working_day(date(2025, 9, 28))  # a Sunday worked (调休)
    assert is_working_day(date(2025, 10, 11))  # a Saturday worked
    assert not is_working_day(date(2025, 10, 12))  # an ordinary Sunday
    assert date(2025, 2, 8) in make_up_workdays(2025)


def test_add_working_days_skips_holidays_and_counts_make_up_days() -> None:
    # Fri 26 Sep + 5: Sun 28 (调休), Mon 29, Tue 30, [1-8 Oct off], Thu 9, Fri 10.
    assert add_working_days(date(2025, 9, 26), 5) == date(2025, 10, 10)
    assert add_working_days(date(2025, 9, 26), 0) == date(2025, 9, 26)
    assert add_working_days(date(2025, 9, 26), 5, {"2025-10-09": "holiday"}) == date(2025, 10, 11)
    with pytest.raises(ValueError):
        add_working_days(date(2025, 9, 26), -1)


def test_next_day_of_month_does_not_drift() -> None:
    due = date(2025, 1, 19)
    dues = []
    for _ in range(4):
        due = next_day_of_month(due, 20)
        dues.append(due)
    assert dues == [date(2025, 1, 20), date(2025, 2, 20), date(2025, 3, 20), date(2025, 4, 20)]
    assert next_day_of_month(date(2025, 1, 31), 31) == date(2025, 2, 28)


def test_overrides_can_be_set_listed_and_cleared(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = before_national_day(engine_with, clock)
    cal = engine.calendar
    assert cal.is_working_day("2025-10-09")
    cal.set_override("2025-10-09", "holiday", actor="admin")
    cal.set_override(date(2025, 10, 12), "workday", actor="admin")
    assert [(d.day, d.kind, d.created_by) for d in cal.list_overrides(2025)] == [
        (date(2025, 10, 9), "holiday", "admin"),
        (date(2025, 10, 12), "workday", "admin"),
    ]
    assert not cal.is_working_day("2025-10-09") and cal.is_working_day("2025-10-12")
    cal.set_override("2025-10-09", "workday", actor="boss")  # replaces, never duplicates
    assert cal.overrides() == {"2025-10-09": "workday", "2025-10-12": "workday"}
    assert cal.clear_override("2025-10-09") is True
    assert cal.clear_override("2025-10-09") is False
    assert cal.list_overrides(2026) == []
    with pytest.raises(CalendarOverrideInvalid):
        cal.set_override("2025-02-30", "holiday", actor="admin")
    with pytest.raises(CalendarOverrideInvalid):
        cal.set_override("2025-10-09", "half-day", actor="admin")


def test_show_lists_the_year_with_overrides(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = before_national_day(engine_with, clock)
    year = engine.calendar.show(2025)
    assert year.published and year.working_days == 248
    kinds = {d.day: (d.kind, d.source) for d in year.days}
    assert kinds[date(2025, 10, 1)] == ("holiday", "national")
    assert kinds[date(2025, 10, 11)] == ("workday", "national")
    engine.calendar.set_override("2025-10-09", "holiday", actor="admin")
    year = engine.calendar.show(2025)
    assert year.working_days == 247
    assert {d.day: d.source for d in year.days}[date(2025, 10, 9)] == "local"
    assert engine.calendar.show(2035).published is False  # no schedule published yet


def test_working_day_timer_follows_the_calendar_and_local_overrides(
    engine_with: EngineWith, clock: FakeClock
) -> None:
    engine = before_national_day(engine_with, clock)
    plain = engine.start(
        "deadline_wait", {"days": 5, "working": True, "divisor": 1}, actor="clerk"
    ).id
    engine.calendar.set_override("2025-10-09", "holiday", actor="admin")  # a local day off
    local = engine.start(
        "deadline_wait", {"days": 5, "working": True, "divisor": 1}, actor="clerk"
    ).id
    calendar_days = engine.start(
        "deadline_wait", {"days": 5, "working": False, "divisor": 1}, actor="clerk"
    ).id
    due = {t.instance_id: t.due_at for t in engine.timers()}
    assert due[plain] == datetime(2025, 10, 10, 9, 0, tzinfo=UTC)
    assert due[local] == datetime(2025, 10, 11, 9, 0, tzinfo=UTC)  # the 调休 Saturday
    assert due[calendar_days] == FRIDAY_BEFORE_NATIONAL_DAY + timedelta(
        days=5
    )  # ordinary durations

    clock.set(datetime(2025, 10, 10, 8, 59, tzinfo=UTC))
    assert engine.fire_due_timers() == 1  # only the calendar-day one
    clock.set(datetime(2025, 10, 10, 9, 1, tzinfo=UTC))
    assert engine.fire_due_timers() == 1
    assert engine.instance(local).status == "waiting"
    clock.set(datetime(2025, 10, 11, 9, 1, tzinfo=UTC))
    assert engine.fire_due_timers() == 1
    assert {engine.instance(i).status for i in (plain, local, calendar_days)} == {"completed"}


def test_an_override_made_elsewhere_is_seen_after_the_cache_expires(
    engine_with: EngineWith, clock: FakeClock
) -> None:
    engine = before_national_day(engine_with, clock)
    engine.calendar.ttl_seconds = 3600
    assert engine.calendar.is_working_day("2025-10-09")
    other = engine_with()  # another process: the CLI, another web worker
    other.calendar.set_override("2025-10-09", "holiday", actor="admin")
    other.close()
    assert engine.calendar.is_working_day("2025-10-09")  # still cached
    engine.calendar.invalidate()
    assert not engine.calendar.is_working_day("2025-10-09")



def test_next_working_day_keeps_working_days_and_skips_rest_days() -> None:
    assert next_working_day(date(2025, 9, 30)) == date(2025, 9, 30)  # a Tuesday before the holiday
    assert next_working_day(date(2025, 10, 1)) == date(2025, 10, 9)
    assert next_working_day(date(2025, 10, 12), {"2025-10-12": "workday"}) == date(2025, 10, 12)
