"""engine/persistence.py: stored formats, upgrades, and all-or-nothing saves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from engine import FakeClock, persistence
from engine.models import Instance
from tests.conftest import EngineWith
from tests.engine import bpmn_builder as b

SIMPLE = Path(__file__).parent / "diagrams" / "simple_review.bpmn"


def test_state_holds_no_spec_and_keeps_chinese_readable(engine_with: EngineWith) -> None:
    engine = engine_with(SIMPLE)
    inst = engine.start("simple_review", {"petitioner": "王某某"}, actor="clerk")
    with engine.sessionmaker() as s:
        row = s.get(Instance, inst.id)
        assert row is not None and row.serializer_version == persistence.SERIALIZER_VERSION
        state = json.loads(row.state)
        assert "spec" not in state and "subprocess_specs" not in state
        assert "王某某" in row.state


def test_state_saved_in_format_1_still_loads_and_runs(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with(SIMPLE)
    inst = engine.start("simple_review", {"handler": "zhang"}, actor="clerk")
    workflow = engine.workflow(inst.id)
    with engine.sessionmaker.begin() as s:
        row = s.get(Instance, inst.id)
        assert row is not None
        row.state = persistence.dump_state_v1(workflow)
        row.serializer_version = 1
    engine.forget_cached()
    done = engine.complete(inst.tasks[0].id, {"accepted": True}, actor="coord")
    assert [t.element_id for t in done.tasks] == ["handle"]
    with engine.sessionmaker() as s:
        version = s.scalar(select(Instance.serializer_version).where(Instance.id == inst.id))
        assert version == persistence.SERIALIZER_VERSION


def test_a_crash_mid_save_leaves_the_state_before(engine_with: EngineWith, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = engine_with(SIMPLE)
    inst = engine.start("simple_review", actor="clerk")
    before_events = engine.history(inst.id)
    before = engine.instance(inst.id)

    def crash(_workflow: object) -> str:
        raise OSError("power cut")

    monkeypatch.setattr(persistence, "dump_state", crash)
    with pytest.raises(OSError):
        engine.complete(inst.tasks[0].id, {"accepted": True}, actor="coord")
    monkeypatch.undo()
    assert engine.history(inst.id) == before_events
    assert engine.instance(inst.id) == before
    assert engine.tasks(instance_id=inst.id)[0].state == "ready"
    after = engine.complete(inst.tasks[0].id, {"accepted": True}, actor="coord")
    assert [t.element_id for t in after.tasks] == ["handle"]


def test_newer_format_is_refused() -> None:
    with pytest.raises(ValueError, match="newer"):
        persistence.load_state("{}", persistence.SERIALIZER_VERSION + 1, (None, {}))  # type: ignore[arg-type]


def test_accounts_read_while_a_writer_holds_the_sqlite_lock(engine_with: EngineWith, db_url: str) -> None:
    """A page's user lookup must not queue behind a long write (it reads, it does not write)."""
    engine = engine_with()
    engine.accounts.scrypt_n = 2**4
    engine.accounts.add_user("wang", "long enough 1", ["case_handler"])
    if not db_url.startswith("sqlite"):
        assert engine.accounts.user("wang").username == "wang"
        return
    import sqlite3

    holder = sqlite3.connect(db_url.split("///", 1)[1], timeout=0.1, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process's write transaction
    try:
        assert engine.accounts.user("wang").username == "wang"
        assert [u.username for u in engine.accounts.users()] == ["wang"]
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_cached_workflow_is_not_used_once_another_process_wrote(engine_with: EngineWith) -> None:
    one = engine_with(b.user_loop_process("loop"))
    two = engine_with()  # another process on the same database, with its own cache
    inst = one.start("loop", {"done": False}, actor="clerk")
    for n in range(6):
        writer = one if n % 2 == 0 else two
        inst = writer.complete(inst.tasks[0].id, {"done": False, "n": n}, actor="handler")
        assert inst.status == "running" and inst.data["n"] == n
    inst = one.complete(inst.tasks[0].id, {"done": True}, actor="handler")
    assert inst.status == "completed"
    completions = [e for e in one.history(inst.id) if e.type == "task_completed"]
    assert [e.changes.get("n", (None, None))[1] for e in completions] == [0, 1, 2, 3, 4, 5, None]
    assert one.verify_history(inst.id).ok


def test_claims_and_uploads_between_completions_keep_the_workflow_warm(
    engine_with: EngineWith, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = engine_with(b.user_loop_process("loop"))
    inst = one.start("loop", {"done": False}, actor="clerk")
    loads: list[int] = []
    load = persistence.load_state
    monkeypatch.setattr(persistence, "load_state", lambda *a: loads.append(1) or load(*a))
    for n in range(3):
        task = inst.tasks[0]
        one.claim(task.id, actor="handler")
        one.attachments.add(inst.id, attachment_id=f"a{n}", filename="答复.pdf", size=1, sha256="0" * 64,
                            content_type="application/pdf", actor="handler")
        inst = one.complete(task.id, {"done": False, "n": n}, actor="handler")
    assert loads == [], "the row moved on with the same state: the cached workflow still counts"
    two = engine_with()  # another process claims: its write must make the first one's entry miss
    two.claim(inst.tasks[0].id, actor="handler")
    two.unclaim(inst.tasks[0].id, actor="handler")
    inst = one.complete(inst.tasks[0].id, {"done": True}, actor="handler")
    assert len(loads) == 1 and inst.status == "completed"
    assert one.verify_history(inst.id).ok


def test_a_rolled_back_operation_leaves_no_cached_workflow(
    engine_with: EngineWith, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = engine_with(b.user_loop_process("loop"))
    inst = engine.start("loop", {"done": False}, actor="clerk")
    inst = engine.complete(inst.tasks[0].id, {"done": False}, actor="handler")  # cached now

    def crash(_workflow: object) -> str:
        raise OSError("power cut")

    with monkeypatch.context() as m:
        m.setattr(persistence, "dump_state", crash)
        with pytest.raises(OSError):
            engine.complete(inst.tasks[0].id, {"done": True}, actor="handler")
    # The failed run changed the workflow in memory; it must not be what the next writer sees.
    again = engine.complete(inst.tasks[0].id, {"done": False}, actor="handler")
    assert again.status == "running" and [t.element_id for t in again.tasks] == ["again"]
    assert len([e for e in engine.history(inst.id) if e.type == "task_completed"]) == 2


def test_reused_task_text_is_the_whole_workflow_encoded_anew(
    engine_with: EngineWith, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dump_state` re-encodes only what changed; what it writes must equal encoding every
    task again, through joins, a boundary timer and compaction of a looping instance."""
    engine = engine_with(b.review_loop_process("review"))
    written: list[tuple[str, str]] = []
    dump = persistence.dump_state

    def both(workflow: object) -> str:
        text = dump(workflow)  # type: ignore[arg-type]
        written.append((text, persistence.dump_state_uncached(workflow)))  # type: ignore[arg-type]
        return text

    monkeypatch.setattr(persistence, "dump_state", both)
    inst = engine.start("review", {"done": False}, actor="clerk")

    def complete(element: str, data: dict[str, object] | None = None) -> None:
        task = next(t for t in engine.tasks(instance_id=inst.id) if t.element_id == element)
        engine.complete(task.id, data, actor="handler")

    for n in range(12):
        complete("check_a", {"note": f"第{n}轮"})
        complete("check_b")
        complete("decide", {"done": False})
    complete("check_a")
    complete("check_b")
    clock.advance(hours=2)
    assert engine.fire_due_timers() == 1
    complete("escalated")
    assert engine.instance(inst.id).status == "completed"
    assert len(written) > 30
    assert [i for i, (text, whole) in enumerate(written) if text != whole] == []
    with engine.sessionmaker() as s:
        row = s.get(Instance, inst.id)
        assert row is not None and row.state == written[-1][1]


def test_a_task_with_no_data_is_stored_without_a_delta_and_runs_on_elsewhere(engine_with: EngineWith) -> None:
    """A task not reached yet has no data; SpiffWorkflow would store it as a delta deleting
    every key of its parent's. It is stored with no delta, and another process (which loads
    the state) runs the instance on exactly as the one that wrote it."""
    one = engine_with(b.review_loop_process("review"))
    two = engine_with()  # another process: no cached workflow, it loads what was stored
    inst = one.start("review", {"done": False, "petitioner": "王某某"}, actor="clerk")
    with one.sessionmaker() as s:
        row = s.get(Instance, inst.id)
        assert row is not None
        tasks = json.loads(row.state)["tasks"]
    ahead = [t for t in tasks.values() if t["parent"] and t["state"] in (1, 2, 4)]  # maybe, likely, future
    assert ahead, "the split's branches are predicted"
    assert all(t["delta"] == {} and t["data"] == {} for t in ahead), "no list of the parent's keys"
    for n in range(3):
        for element in ("check_a", "check_b", "decide"):
            writer = one if n % 2 == 0 else two
            task = next(t for t in writer.tasks(instance_id=inst.id) if t.element_id == element)
            data: dict[str, object] = {"done": n == 2} if element == "decide" else {"note": f"第{n}轮 {element}"}
            inst = writer.complete(task.id, data, actor="handler")
    assert inst.status == "completed"
    assert inst.data == {"done": True, "petitioner": "王某某", "note": "第2轮 check_b"}
    assert one.verify_history(inst.id).ok
