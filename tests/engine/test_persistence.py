"""engine/persistence.py: stored formats, upgrades, and all-or-nothing saves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from engine import FakeClock, persistence
from engine.models import Instance
from tests.conftest import EngineWith

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
