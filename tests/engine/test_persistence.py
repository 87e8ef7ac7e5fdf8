"""engine/persistence.py: stored formats, upgrades, and all-or-nothing saves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from engine import Engine, FakeClock, persistence
from engine.models import Instance

SIMPLE = Path(__file__).parent / "diagrams" / "simple_review.bpmn"


def test_state_holds_no_spec_and_keeps_chinese_readable(engine: Engine) -> None:
    engine.deploy(SIMPLE, actor="designer")
    inst = engine.start("simple_review", {"petitioner": "王某某"}, actor="clerk")
    with engine.sessionmaker() as s:
        row = s.get(Instance, inst.id)
        assert row is not None and row.serializer_version == persistence.SERIALIZER_VERSION
        state = json.loads(row.state)
        assert "spec" not in state and "subprocess_specs" not in state
        assert "王某某" in row.state


def test_state_saved_in_format_1_still_loads_and_runs(engine: Engine, clock: FakeClock) -> None:
    engine.deploy(SIMPLE, actor="designer")
    inst = engine.start("simple_review", {"handler": "zhang"}, actor="clerk")
    with engine.sessionmaker.begin() as s:
        row = s.get(Instance, inst.id)
        assert row is not None
        workflow = engine._load(s, row)
        row.state = persistence.dump_state_v1(workflow)
        row.serializer_version = 1
    engine._specs = persistence.SpecCache()
    done = engine.complete(inst.tasks[0].id, {"accepted": True}, actor="coord")
    assert [t.element_id for t in done.tasks] == ["handle"]
    with engine.sessionmaker() as s:
        assert s.scalar(select(Instance.serializer_version).where(Instance.id == inst.id)) == 2


def test_a_crash_mid_save_leaves_the_state_before(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    engine.deploy(SIMPLE, actor="designer")
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
