"""Time as an input: the engine clock, and SpiffWorkflow's timers made to read it.

SpiffWorkflow 3.2 compares timer due times with `datetime.now(timezone.utc)` inside
`SpiffWorkflow.bpmn.specs.event_definitions.timer`. The engine runs every step inside
`using_clock(clock)`, and that module's `datetime` is replaced by a subclass whose
`now()` reads the clock of the current context, so tests can move a fake clock past a
deadline and several engines with different clocks can share one process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, tzinfo

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _spiff_timer

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The wall clock, aware, in UTC: the default clock of a production engine."""
    return datetime.now(UTC)


current_now: ContextVar[Clock] = ContextVar("anjie_clock", default=system_clock)


@contextmanager
def using_clock(clock: Clock) -> Iterator[None]:
    """Make `clock` the time source of scripts and Spiff timers inside the block."""
    token = current_now.set(clock)
    try:
        yield
    finally:
        current_now.reset(token)


class _ClockDatetime(datetime):
    """`datetime` whose now() is the current engine clock (used by Spiff's timer module)."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        value = current_now.get()()
        return value.astimezone(tz) if tz is not None else value


_spiff_timer.datetime = _ClockDatetime


class FakeClock:
    """A settable clock for tests and simulations: `advance(days=15)` moves time forward."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self.value = start

    def __call__(self) -> datetime:
        return self.value

    def advance(self, **delta: float) -> datetime:
        from datetime import timedelta

        self.value = self.value + timedelta(**delta)
        return self.value

    def set(self, value: datetime) -> None:
        self.value = value


def aware(value: datetime | None, now: datetime) -> datetime | None:
    """A stored time in the clock's zone: SQLite hands back naive datetimes, stored in that zone."""
    if value is not None and value.tzinfo is None and now.tzinfo is not None:
        return value.replace(tzinfo=now.tzinfo)
    return value
