"""Firing due timers: one sweep over the timer table, oldest first, each instance in its own transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from . import history as hist
from .clock import Clock
from .errors import ConcurrentModification
from .instances import Instances
from .models import Instance, Timer
from .states import SYSTEM_ACTOR, EventType, InstanceStatus
from .transactions import Transactions
from .views import TimerView

# Issue 4: how often one sweep retries an instance after losing a race on it.
_MAX_RACES = 3


class Timers:
    """The timer index: list waiting timers, fire the due ones."""

    def __init__(self, tx: Transactions, instances: Instances, clock: Clock) -> None:
        self.tx = tx
        self.instances = instances
        self.clock = clock

    def waiting(self, due_before: datetime | None = None) -> list[TimerView]:
        """Waiting timers, soonest first."""
        with self.tx.read() as s:
            q = select(Timer).order_by(Timer.due_at)
            if due_before is not None:
                q = q.where(Timer.due_at <= due_before)
            return [TimerView(t.instance_id, t.element_id, hist.utc(t.due_at)) for t in s.scalars(q)]

    def fire_due(self, now: datetime | None = None, *, stop: Callable[[], bool] | None = None) -> int:
        """Fire every timer due at `now` (default: the clock), oldest first; return how many fired."""
        return fire_due_timers(self, now, stop=stop)


def fire_due_timers(timers: Timers, now: datetime | None = None, *, stop: Callable[[], bool] | None = None) -> int:
    """Fire every timer due at `now` (default: the clock), oldest first; return how many fired.

    Each instance is handled in its own transaction; with several schedulers on
    PostgreSQL, due rows are claimed with FOR UPDATE SKIP LOCKED, and the instance
    revision makes sure a timer's firing is recorded exactly once. A firing that fails
    leaves an incident on its instance and the sweep goes on with the others. `stop`
    (asked between instances) ends a long sweep early, e.g. when the scheduler shuts down.
    """
    at = now or timers.clock()
    fired = 0
    done: set[int] = set()
    # Issue 4: a race lost again and again on one instance (a bug, not a competitor)
    # must not spin the sweep forever; after a few tries that instance waits a sweep.
    races: dict[int, int] = {}
    while True:
        if stop is not None and stop():
            return fired
        claimed: list[int] = []
        try:
            count, instance_id = _fire_one(timers, at, done, claimed)
        except (StaleDataError, IntegrityError, ConcurrentModification, OperationalError) as exc:
            if isinstance(exc, OperationalError) and "locked" not in str(exc).lower():
                raise
            # Another scheduler (or a person) changed the instance first; its change counts.
            if claimed:
                races[claimed[0]] = races.get(claimed[0], 0) + 1
                if races[claimed[0]] >= _MAX_RACES:
                    done.add(claimed[0])
            continue
        if instance_id is None:
            return fired
        fired += count


def _fire_one(timers: Timers, at: datetime, done: set[int], claimed: list[int]) -> tuple[int, int | None]:
    tx, instances = timers.tx, timers.instances
    try:
        with tx.write() as s:
            q = select(Timer).where(Timer.due_at <= at)
            if done:
                q = q.where(Timer.instance_id.not_in(done))
            timer = s.scalars(tx.locked(q.order_by(Timer.due_at).limit(1), skip_locked=True)).first()
            if timer is None:
                return 0, None
            inst_q = select(Instance).where(Instance.id == timer.instance_id)
            inst = s.scalars(tx.locked(inst_q, skip_locked=True)).first()
            if inst is None:
                # Another scheduler holds this instance; leave its timers to that one.
                done.add(timer.instance_id)
                return 0, timer.instance_id
            element = timer.element_id
            claimed.append(inst.id)
            workflow = instances.load(s, inst)
            writer = hist.EventWriter(s, inst, at)
            before = len(writer.written)
            # Issue 4: catch up one due time at a time, oldest first. The workflow runs
            # at the due time (just past it), so a cycle fires once per missed period
            # (SpiffWorkflow would fire two in one step) and scripts after a late timer
            # compute from when it was due; the events record fired_at = the sweep time.
            last: datetime | None = None
            settled = False
            for _ in range(1000):
                # min() in Python over this instance's few rows: an SQL MIN(due_at) may be
                # planned as a walk of the whole due_at index (seen with 1,000,000 timers).
                dues = s.scalars(select(Timer.due_at).where(Timer.instance_id == inst.id)).all()
                due = hist.utc(min(dues)) if dues else None
                if due is None or due > at:
                    settled = True  # nothing of this instance is due any more
                    break
                if due == last:
                    break  # Spiff did not fire it: the next sweep retries
                last = due
                step_at = due + timedelta(microseconds=1)

                def step_clock(t: datetime = step_at) -> datetime:
                    return t

                run = instances.run(s, inst, workflow, step_clock)
                instances.record(s, inst, run, run.refresh_timers(), writer, SYSTEM_ACTOR)
                if inst.status == InstanceStatus.ERROR:
                    settled = True  # the incident removed its timers
                    break
            if not settled:
                # Left due (not fired): skip it for the rest of this sweep, or it would be
                # picked again and again. Settled instances need no entry, which keeps this
                # NOT IN list short even when a sweep catches up on thousands of timers.
                done.add(inst.id)
            count = sum(1 for e in writer.written[before:] if e.type == EventType.TIMER_FIRED)
            return count, inst.id
    except (StaleDataError, IntegrityError, ConcurrentModification, OperationalError):
        raise
    except Exception as exc:  # noqa: BLE001 - issue 4: one bad instance must not stop the sweep
        if not claimed:
            raise
        _timer_failed(tx, claimed[0], element, at, f"{type(exc).__name__}: {exc}")
        return 0, claimed[0]


def _timer_failed(tx: Transactions, instance_id: int, element_id: str, at: datetime, message: str) -> None:
    # Issue 4: an unexpected failure while firing (not a script incident, which the run
    # records in the same transaction) is recorded as an incident in a fresh transaction.
    # The instance's timer rows go, so the next sweep does not fail on it again;
    # `retry` loads the instance and recreates them.
    with tx.write() as s:
        inst = tx.instance(s, instance_id)
        writer = hist.EventWriter(s, inst, at)
        writer.append(EventType.INCIDENT_RAISED, SYSTEM_ACTOR, element_id=element_id,
                      detail={"message": message, "while": "firing a timer"})
        inst.status, inst.incident_element, inst.incident_message = InstanceStatus.ERROR, element_id, message
        inst.updated_at = writer.at
        s.execute(delete(Timer).where(Timer.instance_id == instance_id))

