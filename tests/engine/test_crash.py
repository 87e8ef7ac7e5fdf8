"""A process killed (SIGKILL) at any moment leaves each instance as it was before or after an operation."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time

from sqlalchemy import select

from engine import Engine
from engine.models import HumanTask, Instance
from engine.runtime import all_tasks
from tests.conftest import EngineWith
from tests.engine import bpmn_builder as b

TASKS_PER_CASE = 60


def _work_until_killed(url: str, ready) -> None:  # type: ignore[no-untyped-def]
    engine = Engine.open(url)
    ready.set()
    while True:
        tasks = engine.tasks(candidate_group="case_handler")
        if not tasks:
            return
        engine.complete(random.choice(tasks).id, {"note": "x" * 200}, actor="worker")


def _check_consistent(engine: Engine) -> int:
    """Workflow state, task index and history agree for every instance; return tasks done."""
    done = 0
    with engine.read_sessionmaker() as s:
        for inst in s.scalars(select(Instance)):
            workflow = engine.workflow(inst.id)
            ready_in_state = {str(t.id) for t in all_tasks(workflow) if t.state == 16 and t.task_spec.manual}
            ready_in_index = set(s.scalars(select(HumanTask.id).where(
                HumanTask.instance_id == inst.id, HumanTask.state == "ready")))
            assert ready_in_state == ready_in_index, inst.id
            completed = s.scalars(select(HumanTask.id).where(
                HumanTask.instance_id == inst.id, HumanTask.state == "completed")).all()
            events = engine.history(inst.id)
            assert len(events) == inst.last_seq
            assert sum(e.type == "task_completed" for e in events) == len(completed)
            done += len(completed)
    assert engine.verify_history().ok
    return done


def test_sigkill_mid_work_never_leaves_a_half_written_operation(engine_with: EngineWith, db_url: str) -> None:
    engine = engine_with()
    engine.deploy(b.user_tasks_process("long", TASKS_PER_CASE), actor="d")
    for _ in range(10):  # enough work that the worker is still busy when killed
        engine.start("long", actor="clerk")
    ctx = multiprocessing.get_context("spawn")
    progress = []
    for round_ in range(3):
        ready = ctx.Event()
        proc = ctx.Process(target=_work_until_killed, args=(db_url, ready))
        proc.start()
        assert ready.wait(60)
        time.sleep(0.2 + random.random() * 0.5)
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(30)
        assert proc.exitcode == -signal.SIGKILL, f"round {round_}: the worker ended before it was killed"
        progress.append(_check_consistent(engine))
    assert progress == sorted(progress) and progress[-1] > 0
    # The engine carries on where the killed process stopped.
    task = engine.tasks(candidate_group="case_handler")[0]
    engine.complete(task.id, {}, actor="after")
    assert _check_consistent(engine) == progress[-1] + 1
