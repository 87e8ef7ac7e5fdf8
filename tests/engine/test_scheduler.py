"""The scheduler (engine/timers.py): exactly once across processes, sweeping on the engine clock."""

from __future__ import annotations

import logging
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine import Engine, FakeClock
from engine.models import Event, Instance, Timer
from engine.timers import run_scheduler, start_scheduler, sweep
from tests.conftest import EngineWith

from .test_timers import DEADLINE_WAIT, START

TIMERS = 1000
BOUNDED_WAIT = 90.0  # seconds; the two processes need a few


def wait_until(condition: object, timeout: float) -> bool:
    """Poll `condition()` until true or `timeout` seconds pass (for background work only)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return bool(condition())  # type: ignore[operator]


def counts(engine: Engine) -> tuple[int, int, int]:
    """(timer_fired events, distinct timer tasks fired, timer rows left)."""
    with engine.sessionmaker() as s:
        fired = (
            s.scalar(select(func.count()).select_from(Event).where(Event.type == "timer_fired"))
            or 0
        )
        distinct = (
            s.scalar(
                select(func.count(func.distinct(Event.task_id))).where(Event.type == "timer_fired")
            )
            or 0
        )
        left = s.scalar(select(func.count()).select_from(Timer)) or 0
        return fired, distinct, left


def test_two_scheduler_processes_fire_1000_timers_exactly_once(
    engine_with: EngineWith, db_url: str, tmp_path: Path
) -> None:
    engine = engine_with(DEADLINE_WAIT)
    # The instances are started on the test clock in March 2026, so against the machine
    # clock of the two `anjie scheduler` processes every timer is long overdue.
    for _ in range(TIMERS):
        engine.start("deadline_wait", {"days": 1, "working": False, "divisor": 1}, actor="clerk")
    assert len(engine.timers()) == TIMERS
    cmd = [
        sys.executable,
        "-m",
        "anjie.cli",
        "scheduler",
        "--interval",
        "0.2",
        "--database-url",
        db_url,
    ]
    # Logs go to files, not pipes: a full pipe would block a scheduler inside a transaction.
    log_files = [tmp_path / f"scheduler{n}.log" for n in range(2)]
    outputs = [path.open("w") for path in log_files]
    procs = [subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT) for out in outputs]
    try:
        done = wait_until(
            lambda: counts(engine)[0] >= TIMERS and counts(engine)[2] == 0, BOUNDED_WAIT
        )
        time.sleep(0.5)  # a little longer: a duplicate firing would show up now
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p, out in zip(procs, outputs, strict=True):
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            out.close()
    logs = [path.read_text() for path in log_files]
    assert done, logs
    assert all(p.returncode == 0 for p in procs), logs
    fired, distinct, left = counts(engine)
    assert (fired, distinct, left) == (TIMERS, TIMERS, 0)
    per_process = [sum(int(n) for n in re.findall(r"fired (\d+) timers", log)) for log in logs]
    assert sum(per_process) == TIMERS, per_process
    with engine.sessionmaker() as s:
        statuses = s.execute(select(Instance.status, func.count()).group_by(Instance.status)).all()
        assert dict(statuses) == {"completed": TIMERS}
        # No instance's history has two firings.
        per_instance = s.execute(
            select(Event.instance_id, func.count())
            .where(Event.type == "timer_fired")
            .group_by(Event.instance_id)
        ).all()
        assert {n for _, n in per_instance} == {1}
    assert engine.verify_history().ok
    print(f"timers fired per process: {per_process}")


def test_background_scheduler_sweeps_on_the_engine_clock(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with(DEADLINE_WAIT)
    inst = engine.start(
        "deadline_wait", {"days": 15, "working": False, "divisor": 1}, actor="clerk"
    ).id
    scheduler = start_scheduler(engine, interval=0.05)
    try:
        time.sleep(0.2)  # several sweeps: nothing is due on the engine clock
        assert engine.instance(inst).status == "waiting"
        clock.advance(days=15, seconds=1)  # no sleeping past the deadline: move the clock
        assert wait_until(lambda: engine.instance(inst).status == "completed", 10)
    finally:
        scheduler.shutdown()
    fired = [e for e in engine.history(inst) if e.type == "timer_fired"]
    assert len(fired) == 1
    assert fired[0].detail["due_at"] == (START + timedelta(days=15)).isoformat()
    assert fired[0].detail["fired_at"] == clock().isoformat()


def test_a_failing_sweep_is_logged_and_the_scheduler_goes_on(
    engine_with: EngineWith, caplog: pytest.LogCaptureFixture
) -> None:
    engine = engine_with(DEADLINE_WAIT)
    calls: list[int] = []

    def broken(now: object = None, *, stop: object = None) -> int:
        calls.append(1)
        raise RuntimeError("database went away")

    engine.fire_due_timers = broken  # type: ignore[method-assign]
    with caplog.at_level(logging.ERROR, logger="anjie.timers"):
        assert sweep(engine) == 0
        assert sweep(engine) == 0
    assert len(calls) == 2
    assert "timer sweep failed" in caplog.text


def test_run_scheduler_stops_on_a_signal(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with(DEADLINE_WAIT)
    inst = engine.start(
        "deadline_wait", {"days": 1, "working": False, "divisor": 1}, actor="clerk"
    ).id
    clock.advance(days=2)

    def stop_when_fired() -> None:
        wait_until(lambda: engine.instance(inst).status == "completed", 10)
        signal.raise_signal(signal.SIGTERM)

    import threading

    threading.Thread(target=stop_when_fired).start()
    run_scheduler(engine, interval=0.05)  # returns on SIGTERM
    assert engine.instance(inst).status == "completed"
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL

