"""Fixtures for the shipped diagrams: a driver that deploys processes/ and works tasks by element id."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from SpiffWorkflow.util.task import TaskState

from engine import Engine, FakeClock
from engine.runtime import all_tasks
from tests.conftest import PROCESSES, EngineWith

LANES = {"intake_clerk", "coordinator", "case_leader", "case_handler", "supervisor", "leading_group"}
#: Requests a user may make at any time while the case is handled; they wait in the inbox
#: until used, so `Driver.ready` leaves them out.
STANDING = {"request_extension", "re_rate_case", "request_collective_deliberation", "record_repeat_petition",
            "reassign_case_leader", "request_review", "record_repeat_during_handling"}
# Decisions first: the processes call them.
SHIPPED = [PROCESSES / name for name in ("risk_colour.dmn", "petition_case.bpmn", "backlog_campaign.bpmn")]


@dataclass(frozen=True)
class Live:
    """What the engine reported live after one step: the last history event, the data, the
    ready human tasks and running sub-processes, the waiting timers, and the elements its
    workflow holds as completed."""

    step: int
    data: dict[str, Any]
    active: frozenset[str]
    waiting: frozenset[str]
    completed: frozenset[str]

    @classmethod
    def of(cls, engine: Engine, instance_id: int) -> Live:
        tasks = all_tasks(engine.workflow(instance_id))
        return cls(
            step=engine.history(instance_id)[-1].seq,
            data=engine.instance(instance_id).data,
            active=frozenset({t.element_id for t in engine.tasks(instance_id=instance_id)}
                             | {t.task_spec.bpmn_id for t in tasks
                                if t.state == TaskState.STARTED and t.task_spec.bpmn_id}),
            waiting=frozenset(t.element_id for t in engine.timers() if t.instance_id == instance_id),
            completed=frozenset(t.task_spec.bpmn_id for t in tasks
                                if t.state == TaskState.COMPLETED and t.task_spec.bpmn_id),
        )


class Driver:
    """Works one instance through the engine; with `save_restore` it reopens the engine after every step."""

    def __init__(self, engine_with: EngineWith, clock: FakeClock, save_restore: bool) -> None:
        self.engine_with, self.clock, self.save_restore = engine_with, clock, save_restore
        self.engine = engine_with(*SHIPPED)
        self._hash_cheaply()
        self.instance_id = 0
        self.done: list[Any] = []  # TaskViews in completion order
        self.snapshots: list[Live] = []  # what the engine reported after each step

    def _step(self) -> None:
        self._snapshot()
        if self.save_restore:
            self.engine.close()
            self.engine = self.engine_with()
            self._hash_cheaply()

    def _hash_cheaply(self) -> None:
        self.engine.accounts.scrypt_n = 2**4  # the users `_provide` adds hash cheaply

    def start(self, key: str, data: dict[str, Any] | None = None) -> None:
        self.instance_id = self.engine.start(key, data or {}, actor="clerk").id
        self._step()

    def ready(self) -> list[str]:
        """The element ids of the ready tasks, without the standing requests (see STANDING)."""
        return sorted(t.element_id for t in self.engine.tasks(instance_id=self.instance_id)
                      if t.element_id not in STANDING)

    def task(self, element_id: str) -> Any:
        found = [t for t in self.engine.tasks(instance_id=self.instance_id) if t.element_id == element_id]
        assert found, f"{element_id} is not ready; ready: {self.ready()}"
        return found[0]

    def complete(self, element_id: str, **data: Any) -> Any:
        task = self.task(element_id)
        self._provide(task.id, data)
        self.engine.complete(task.id, data, actor=task.assignee or "someone")
        self.done.append(task)
        self._step()
        return task

    def _provide(self, task_id: str, data: dict[str, Any]) -> None:
        """What an office has before a form names it: the users picked (holding the field's
        role) and the case documents referred to (uploaded to the case first)."""
        accounts = self.engine.accounts
        known = {a.id for a in self.engine.attachments.list(self.instance_id)}
        for f in self.engine.task(task_id).form:
            value = data.get(f.id)
            if not value:
                continue
            if f.type == "user":
                role = f.properties.get("role", "")
                user = accounts.find_user(str(value))
                if user is None:
                    accounts.add_user(str(value), "a long password 1", [role] if role else [])
                elif role and role not in user.groups:
                    accounts.set_groups(user.username, [*user.groups, role])
            elif f.type in ("document", "file"):
                for ref in value if isinstance(value, list) else [value]:
                    if str(ref) not in known:
                        self.engine.attachments.add(
                            self.instance_id, attachment_id=str(ref), filename=f"{ref}.pdf", size=1,
                            sha256="0" * 64, content_type="application/pdf", actor="clerk")
                        known.add(str(ref))

    def _snapshot(self) -> None:
        if self.instance_id:
            self.snapshots.append(Live.of(self.engine, self.instance_id))

    def advance(self, **delta: float) -> None:
        self.clock.advance(**delta)
        self.engine.fire_due_timers()
        self._step()

    def data(self) -> dict[str, Any]:
        return self.engine.instance(self.instance_id).data

    def status(self) -> str:
        return self.engine.instance(self.instance_id).status

    def path(self) -> list[str]:
        return [t.element_id for t in self.done]

    def check_history(self) -> None:
        """The history records every completion in order, by whom, in a lane, with an intact chain."""
        if not self.instance_id:
            return
        events = self.engine.history(self.instance_id)
        done = [(e.element_id, e.task_id, e.actor) for e in events if e.type == "task_completed"]
        mine = [e for e in done if e[1] in {t.id for t in self.done}]
        assert [e[0] for e in mine] == self.path(), "history must list the completions in order"
        assert all(actor for _element, _task, actor in mine)
        assert all(t.lane in LANES for t in self.done), {t.element_id: t.lane for t in self.done if t.lane not in LANES}
        assert events[0].type == "instance_started"
        assert self.engine.verify_history(self.instance_id).ok
        replayed = self.engine.replay(self.instance_id, events[-1].seq)
        assert set(self.path()) <= set(replayed.completed)
        self.check_replay()

    def check_replay(self) -> None:
        """Replay after every step equals what the engine reported live after it."""
        assert self.snapshots, "every step was recorded"
        for live in self.snapshots:
            r = self.engine.replay(self.instance_id, live.step)
            at = f"replay at step {live.step}"
            assert r.data == live.data, at
            assert (set(r.active), set(r.waiting)) == (live.active, live.waiting), at
            assert set(r.completed) == live.completed, at


@pytest.fixture(params=[False, True], ids=["live", "save_restore"])
def driver(request: pytest.FixtureRequest, engine_with: EngineWith, clock: FakeClock) -> Iterator[Driver]:
    """A driver on a fresh database with the shipped diagrams deployed (`engine_with` closes its engines)."""
    d = Driver(engine_with, clock, request.param)
    yield d
    d.check_history()  # every scenario also checks what history recorded


def live_driver(engine_with: EngineWith, clock: FakeClock) -> Iterator[Driver]:
    """A live driver (no save-and-reload: a web app takes over its engine), its history checked after."""
    d = Driver(engine_with, clock, save_restore=False)
    yield d
    d.check_history()
