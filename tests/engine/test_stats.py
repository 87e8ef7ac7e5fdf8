"""engine/stats.py: one step of a case for the audit page's step panel (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from engine import FakeClock, InstanceNotFound
from tests.conftest import DIAGRAMS, EngineWith


def test_a_step_is_the_replay_and_the_event_of_that_step(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with(DIAGRAMS / "simple_review.bpmn")
    iid = engine.start("simple_review", {"handler": "zhang"}, actor="clerk").id
    clock.advance(days=1)
    engine.complete(engine.instance(iid).tasks[0].id, {"accepted": True}, actor="coord")
    history = engine.history(iid)
    for event in history:
        found = engine.stats.step(iid, event.seq)
        assert found is not None and found.event == event and found.last == history[-1].seq
        assert found.replay == engine.replay(iid, event.seq)
    assert engine.stats.step(iid, 0) is None and engine.stats.step(iid, history[-1].seq + 1) is None
    with pytest.raises(InstanceNotFound):
        engine.stats.step(iid + 1, 1)
