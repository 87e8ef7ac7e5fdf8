"""The timer scheduler: APScheduler calls `engine.fire_due_timers(engine.clock())` every few s.

APScheduler only keeps the beat. Which timers are due, who fires them and what is recorded
is decided by the engine against the `timer` table, so any number of schedulers (one in
each `anjie serve`, one `anjie scheduler`) can run against one database: on PostgreSQL each
due row is claimed with `FOR UPDATE SKIP LOCKED` and the instance row is locked too; on
SQLite every transaction takes the write lock at BEGIN, so one writer fires at a time.
Either way a timer fires exactly once. Timers that came due while no scheduler ran fire at
the next sweep, oldest first, and their `timer_fired` events record `due_at` and `fired_at`.

Where the weekly supervision bulletin (纪委每周通报) and the monthly report (月报, due by
the 20th) come from — decision: the campaign process's own timers, not APScheduler cron
jobs. Reasons:

- Exactly once with several processes. APScheduler 3 keeps cron jobs in a job store that
  must not be shared by several schedulers (its documentation says so); every web process
  that runs a scheduler would send the bulletin again. Campaign timers go through the
  `timer` table and the same claim as every deadline.
- A campaign's windows are campaign data (Apr 16-30 in one seed, Jun 16-Sep 15 in
  another): a boundary cycle timer on the resolve phase runs only while that phase is
  open and stops with it; a cron job would need its own start, stop and clean-up.
- History. Each bulletin and report is an element of the campaign instance: it is in the
  hash-chained history with its due and fired times, and replay shows it. Nobody needs
  to be logged in for it to come due.
- Catch-up. SpiffWorkflow computes a cycle's next firing from the previous due time
  (next = next + period), so after an outage each missed week fires once, in order.

One caveat: SpiffWorkflow turns a period of `P1M` into a fixed number of days (the length
of the first month), so a monthly cycle drifts off the 20th. Model the monthly report as a
loop whose timer is a `timeDate` computed each round (`workdays.next_day_of_month`), and
the weekly bulletin as a cycle `R/<start>/P7D`.
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import UTC, timedelta
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from .clock import system_clock

if TYPE_CHECKING:
    from .service import Engine

log = logging.getLogger("anjie.timers")

JOB_ID = "anjie_fire_due_timers"
DEFAULT_INTERVAL = 5.0


def sweep(engine: Engine, stopping: threading.Event | None = None) -> int:
    """Fire what is due at the engine clock; return how many fired. Never raises.

    A failing instance is already turned into an incident by the engine; anything that
    escapes (the database is down) is logged and the next sweep tries again. When
    `stopping` is set the sweep ends after the instance it is firing.
    """
    try:
        fired = engine.fire_due_timers(engine.clock(), stop=stopping.is_set if stopping else None)
    except Exception:
        log.exception("timer sweep failed; the next sweep tries again")
        return 0
    if fired:
        log.info("fired %d timers", fired)
    return fired


REMINDER_JOB_ID = "anjie_reminders"
CHECKPOINT_JOB_ID = "anjie_checkpoint"
#: How often the scheduler asks whether a checkpoint is due (it signs one when the newest is
#: older than `Settings.checkpoint_hours`).
CHECKPOINT_CHECK_MINUTES = 10.0


def checkpoint_if_due(engine: Engine) -> bool:
    """Sign a checkpoint when the newest is older than the settings' interval and the key file
    is there; True when one was made. Never raises (a missing key is logged once a check)."""
    hours = engine.settings.checkpoint_hours
    if hours <= 0:
        return False
    if not Path(engine.settings.checkpoint_key_file).exists():
        log.warning("no checkpoint signed: no key at %s (`anjie keygen` makes one)",
                    engine.settings.checkpoint_key_file)
        return False
    try:
        last = engine.audit.last_checkpoint_at()
        if last is not None and engine.clock() - last < timedelta(hours=hours):
            return False
        made = engine.audit.checkpoint()
    except Exception:
        log.exception("checkpoint failed; the next check tries again")
        return False
    log.info("checkpoint %d signed: %d cases, root %s", made.id, made.cases, made.root[:16])
    return True


def remind(engine: Engine) -> int:
    """Mail the reminders that came due (`Engine.reminders.scan`); never raises, so a mail
    server that is down does not stop the scheduler."""
    try:
        return engine.reminders.scan()
    except Exception:
        log.exception("reminder scan failed; the next scan tries again")
        return 0


class _Stopping:
    """Scheduler mixin: `shutdown()` first tells a running sweep to stop after its instance."""

    stopping: threading.Event

    def shutdown(self, wait: bool = True) -> None:
        self.stopping.set()
        super().shutdown(wait)  # type: ignore[misc]


class TimerScheduler(_Stopping, BackgroundScheduler):  # type: ignore[misc]
    """The background scheduler `start_scheduler` returns."""


class _BlockingTimerScheduler(_Stopping, BlockingScheduler):  # type: ignore[misc]
    pass


def _schedule(scheduler: _Stopping, engine: Engine, interval: float) -> None:
    if interval <= 0:
        raise ValueError("the sweep interval must be positive")
    scheduler.stopping = threading.Event()
    assert isinstance(scheduler, BaseScheduler)
    scheduler.add_job(
        sweep,
        "interval",
        seconds=interval,
        args=[engine, scheduler.stopping],
        id=JOB_ID,
        # One sweep at a time per scheduler; a late beat is merged, never queued up.
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
        # APScheduler keeps the beat on the machine's clock; the sweep itself uses the
        # engine clock. Start at once so catch-up does not wait one interval.
        next_run_time=system_clock() + timedelta(milliseconds=10),
    )
    if engine.settings.checkpoint_hours > 0:
        scheduler.add_job(checkpoint_if_due, "interval", minutes=CHECKPOINT_CHECK_MINUTES, args=[engine],
                          id=CHECKPOINT_JOB_ID, max_instances=1, coalesce=True, misfire_grace_time=None,
                          next_run_time=system_clock() + timedelta(seconds=1))
    if engine.settings.reminder_scan_minutes > 0 and engine.settings.smtp_host:
        scheduler.add_job(remind, "interval", minutes=engine.settings.reminder_scan_minutes, args=[engine],
                          id=REMINDER_JOB_ID, max_instances=1, coalesce=True, misfire_grace_time=None,
                          next_run_time=system_clock() + timedelta(seconds=2))


def start_scheduler(engine: Engine, interval: float = DEFAULT_INTERVAL) -> TimerScheduler:
    """Start sweeping in a background thread (inside `anjie serve`); `.shutdown()` stops it."""
    scheduler = TimerScheduler(timezone=UTC, daemon=True)
    _schedule(scheduler, engine, interval)
    scheduler.start()
    log.info("timer scheduler started: sweep every %.1f s", interval)
    return scheduler


def run_scheduler(engine: Engine, interval: float = DEFAULT_INTERVAL) -> None:
    """Sweep in the foreground until SIGINT or SIGTERM (`anjie scheduler`).

    On a signal the sweep under way stops after the instance it is firing (each instance
    is one transaction) and the function returns.
    """
    scheduler = _BlockingTimerScheduler(timezone=UTC)
    _schedule(scheduler, engine, interval)

    def stop(signum: int, _frame: FrameType | None) -> None:
        log.info("timer scheduler stopping (signal %d)", signum)
        # shutdown(wait=True) joins the worker running a sweep; do it off the signal handler.
        threading.Thread(target=scheduler.shutdown, name="anjie-scheduler-stop").start()

    previous: dict[signal.Signals, Any] = {}
    on_main_thread = threading.current_thread() is threading.main_thread()
    if on_main_thread:
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, stop)
    log.info("timer scheduler running: sweep every %.1f s", interval)
    try:
        scheduler.start()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("timer scheduler stopped")
