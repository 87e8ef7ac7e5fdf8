"""engine/external_tasks.py through the facade: workers fetch and lock service tasks by topic,
complete them, fail with retries and back-off, lose their lock when they die."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from engine import DataInvalid, Engine, ExternalTaskNotFound, ExternalTaskNotLocked, FakeClock
from tests.conftest import EngineWith
from tests.engine import bpmn_builder as b


def notify_process(pid: str = "notify_petitioner", attrs: str = ' camunda:type="external" camunda:topic="sms"') -> str:
    """start → send an SMS (a worker's service task) → follow-up visit (a person) → end."""
    return b.process(pid, "\n".join([
        '<bpmn:startEvent id="begin"/>',
        f'<bpmn:serviceTask id="send_sms" name="短信告知"{attrs}/>',
        '<bpmn:userTask id="follow_up_visit" name="回访" camunda:candidateGroups="case_handler"/>',
        '<bpmn:endEvent id="finish"/>',
        b.flow("f1", "begin", "send_sms"), b.flow("f2", "send_sms", "follow_up_visit"),
        b.flow("f3", "follow_up_visit", "finish"),
    ]))


def _events(engine: Engine, instance_id: int) -> list[tuple[str, str | None, str]]:
    return [(e.type.value, e.element_id, e.actor) for e in engine.history(instance_id)]


def test_a_worker_fetches_locks_and_completes_a_service_task(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with(notify_process())
    inst = engine.start("notify_petitioner", {"phone": "13800000000"}, actor="clerk")
    assert inst.status == "waiting" and inst.tasks == []
    assert engine.fetch_and_lock("sms-1", ["email"]) == []
    [task] = engine.fetch_and_lock("sms-1", ["sms"], lock_seconds=30)
    assert (task.instance_id, task.element_id, task.topic) == (inst.id, "send_sms", "sms")
    assert task.data == {"phone": "13800000000"} and task.retries is None
    assert task.locked_until == clock() + timedelta(seconds=30)
    assert engine.fetch_and_lock("sms-2", ["sms"]) == [], "a locked task is nobody else's"
    after = engine.complete_external(task.id, worker_id="sms-1", data={"sms_sent": True})
    assert after.data["sms_sent"] is True and [t.element_id for t in after.tasks] == ["follow_up_visit"]
    events = _events(engine, inst.id)
    assert ("external_task_locked", "send_sms", "sms-1") in events
    assert ("external_task_completed", "send_sms", "sms-1") in events
    history = engine.history(inst.id)
    [completed] = [e for e in history if (e.type.value, e.element_id) == ("element_completed", "send_sms")]
    assert completed.changes == {"sms_sent": (None, True)}
    with pytest.raises(ExternalTaskNotFound):
        engine.complete_external(task.id, worker_id="sms-1")


def test_two_workers_racing_for_one_task_exactly_one_gets_it(engine_with: EngineWith) -> None:
    first = engine_with(notify_process())
    second = engine_with()  # another worker process on the same database
    first.start("notify_petitioner", actor="clerk")
    got: dict[str, list[str]] = {}
    barrier = threading.Barrier(2)

    def fetch(engine: Engine, worker: str) -> None:
        barrier.wait()
        got[worker] = [t.id for t in engine.fetch_and_lock(worker, ["sms"])]

    threads = [threading.Thread(target=fetch, args=(e, w)) for e, w in ((first, "w1"), (second, "w2"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(len(ids) for ids in got.values()) == [0, 1]


def test_a_dead_workers_lock_runs_out_and_the_task_is_fetched_again(
    engine_with: EngineWith, clock: FakeClock
) -> None:
    engine = engine_with(notify_process())
    inst = engine.start("notify_petitioner", actor="clerk")
    [task] = engine.fetch_and_lock("w1", ["sms"], lock_seconds=60)
    engine.extend_lock(task.id, worker_id="w1", seconds=120)
    clock.advance(seconds=119)
    assert engine.fetch_and_lock("w2", ["sms"]) == []
    clock.advance(seconds=1)  # w1 died: nobody extends or completes
    [again] = engine.fetch_and_lock("w2", ["sms"])
    assert again.id == task.id and again.worker_id == "w2"
    with pytest.raises(ExternalTaskNotLocked) as late:
        engine.complete_external(task.id, worker_id="w1", data={"sms_sent": True})
    assert late.value.holder == "w2"
    engine.complete_external(task.id, worker_id="w2")
    assert [t.element_id for t in engine.instance(inst.id).tasks] == ["follow_up_visit"]
    locks = [e.detail for e in engine.history(inst.id) if e.type.value == "external_task_locked"]
    assert [d["lock_expired_for"] for d in locks] == [None, "w1"]


def test_failures_back_off_then_become_an_incident_that_a_retry_clears(
    engine_with: EngineWith, clock: FakeClock
) -> None:
    engine = engine_with(notify_process())
    inst = engine.start("notify_petitioner", actor="clerk")
    [task] = engine.fetch_and_lock("w1", ["sms"])
    failed = engine.fail_external(task.id, worker_id="w1", message="SMS gateway timeout", retries=1,
                                  retry_in_seconds=300)
    assert failed.retries == 1 and failed.locked_until is None
    assert engine.fetch_and_lock("w1", ["sms"]) == [], "waits out its back-off"
    clock.advance(minutes=5)
    [task] = engine.fetch_and_lock("w1", ["sms"])
    engine.fail_external(task.id, worker_id="w1", message="SMS gateway down", retries=0)
    stopped = engine.instance(inst.id)
    assert stopped.status == "error" and stopped.incident_element == "send_sms"
    assert "SMS gateway down" in (stopped.incident_message or "")
    assert engine.fetch_and_lock("w1", ["sms"]) == []
    engine.retry(inst.id, actor="coordinator")
    assert engine.instance(inst.id).status == "waiting"
    [task] = engine.fetch_and_lock("w1", ["sms"])
    engine.complete_external(task.id, worker_id="w1")
    assert [t.element_id for t in engine.instance(inst.id).tasks] == ["follow_up_visit"]
    kinds = [k for k, _, _ in _events(engine, inst.id)]
    assert kinds.count("external_task_failed") == 2 and "incident_raised" in kinds and "instance_retried" in kinds


@pytest.mark.sqlite_only
def test_a_service_task_without_a_topic_waits_under_its_own_id(engine_with: EngineWith) -> None:
    engine = engine_with(notify_process("java_made", ' camunda:class="org.example.SendSms"'))
    engine.start("java_made", actor="clerk")
    [task] = engine.fetch_and_lock("w1", ["send_sms"])
    assert task.topic == "send_sms"


@pytest.mark.sqlite_only
def test_a_cancelled_case_leaves_nothing_to_fetch_and_bad_lock_times_are_refused(engine_with: EngineWith) -> None:
    engine = engine_with(notify_process())
    inst = engine.start("notify_petitioner", actor="clerk")
    with pytest.raises(DataInvalid):
        engine.fetch_and_lock("w1", ["sms"], lock_seconds=0)
    engine.cancel(inst.id, actor="coordinator", reason="重复登记")
    assert engine.fetch_and_lock("w1", ["sms"]) == []


@pytest.mark.sqlite_only
def test_rebuilding_an_instances_indexes_restores_its_external_tasks(engine_with: EngineWith) -> None:
    from sqlalchemy import delete

    from engine.models import ExternalTask

    engine = engine_with(notify_process())
    inst = engine.start("notify_petitioner", actor="clerk")
    with engine.sessionmaker.begin() as s:
        s.execute(delete(ExternalTask))
    assert engine.fetch_and_lock("w1", ["sms"]) == []
    engine.rebuild_indexes(inst.id)
    assert [t.element_id for t in engine.fetch_and_lock("w1", ["sms"])] == ["send_sms"]
