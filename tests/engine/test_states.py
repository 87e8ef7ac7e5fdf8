"""engine/states.py: the documented states, and events stored under names from before the scheme."""

from __future__ import annotations

from pathlib import Path

from engine import Engine, EventType, InstanceStatus, TaskState
from engine import history as hist
from engine.models import Instance

from ..conftest import EngineWith

SIMPLE = Path(__file__).parent / "diagrams" / "simple_review.bpmn"


def test_every_member_is_documented_in_one_sentence_of_its_docstring() -> None:
    for enum in (InstanceStatus, TaskState, EventType):
        doc = enum.__doc__ or ""
        for member in enum:
            assert f"- {member.name}: " in doc, f"{enum.__name__}.{member.name} has no sentence"


def test_event_names_follow_one_scheme() -> None:
    nouns = {"instance", "incident", "task", "timer", "element", "event", "attachment", "external_task", "message",
             "campaign"}
    for member in EventType:
        assert any(member.value.startswith(f"{noun}_") and member.value[len(noun) + 1:] for noun in nouns), member.value
    assert EventType.from_stored("no_such_type") == "no_such_type"


def _write_legacy(engine: Engine, instance_id: int, type_: str) -> None:
    """Append an event as an engine before the naming scheme wrote it."""
    with engine.sessionmaker.begin() as s:
        inst = s.get(Instance, instance_id)
        assert inst is not None
        hist.EventWriter(s, inst, engine.clock()).append(type_, "coord", detail={"reason": "legacy"})  # type: ignore[arg-type]


def test_events_stored_under_old_names_read_under_new_ones_and_still_verify(engine_with: EngineWith) -> None:
    engine = engine_with(SIMPLE)
    inst = engine.start("simple_review", {"handler": "zhang"}, actor="clerk")
    for old in ("error", "retried", "cancelled"):
        _write_legacy(engine, inst.id, old)
    types = [e.type for e in engine.history(inst.id)][-3:]
    assert types == [EventType.INCIDENT_RAISED, EventType.INSTANCE_RETRIED, EventType.INSTANCE_CANCELLED]
    assert engine.verify_history(inst.id).ok
    with engine.read_sessionmaker() as s:
        stored = [e.type for e in hist.events_of(s, inst.id)][-3:]
    assert stored == ["error", "retried", "cancelled"], "the rows keep what was hashed"
    # Replay reads the old "cancelled" as the end of the instance: its open task is cancelled.
    replay = engine.replay(inst.id, len(engine.history(inst.id)))
    assert replay.active == [] and "accept_case" in replay.cancelled


def test_new_events_are_stored_under_the_new_names(engine_with: EngineWith) -> None:
    engine = engine_with(SIMPLE)
    inst = engine.start("simple_review", {"handler": "zhang"}, actor="clerk")
    engine.cancel(inst.id, actor="coord", reason="重复登记")
    with engine.read_sessionmaker() as s:
        assert hist.events_of(s, inst.id)[-1].type == "instance_cancelled"
    assert engine.instance(inst.id).status == InstanceStatus.CANCELLED
