"""engine/chain.py, history format 3: fewer and smaller rows that verify, replay and count as
format 2 did; every stored field is covered; chains begun in formats 1 and 2 go on in 3."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text, update

from engine import Engine, FakeClock, ReplayView, chain
from engine.chain import opens
from engine.models import Event
from tests.conftest import DIAGRAMS, MONDAY, PROCESSES, ROOT, EngineWith

SIMPLE = DIAGRAMS / "simple_review.bpmn"
_EVENTS = Event.__table__


def _walk(engine: Engine, clock: FakeClock, fmt: int, monkeypatch: pytest.MonkeyPatch) -> int:
    """The simple review from registration to its end, its events written in format `fmt`."""
    monkeypatch.setattr(chain, "FORMAT", fmt)
    clock.set(MONDAY)  # each walk on the same days: the same deadlines in its data
    inst = engine.start("simple_review", {"handler": "zhang", "petitioner": "李某"}, actor="clerk")
    clock.advance(days=1)
    after = engine.complete(inst.tasks[0].id, {"accepted": True, "comment": "受理"}, actor="coord")
    clock.advance(days=2)
    engine.complete(after.tasks[0].id, {"result": "已化解"}, actor="zhang")
    monkeypatch.setattr(chain, "FORMAT", 3)
    return inst.id


def _rows(engine: Engine, iid: int) -> list[Any]:
    with engine.sessionmaker() as s:
        return list(s.execute(select(_EVENTS).where(_EVENTS.c.instance_id == iid).order_by(_EVENTS.c.seq)))


def _marks(replay: ReplayView) -> tuple[set[str], set[str], set[str], set[str], dict[str, Any]]:
    return set(replay.completed), set(replay.active), set(replay.waiting), set(replay.cancelled), replay.data


def _at_each_person_step(engine: Engine, iid: int) -> list[tuple[Any, ...]]:
    """The replay as each person acted (the step before each task completion) and at the end.
    (Right after a completion the formats differ: format 3 counts the steps it folded into it.)"""
    events = engine.history(iid)
    steps = [e.seq - 1 for e in events if e.type == "task_completed"] + [events[-1].seq]
    return [_marks(engine.replay(iid, step)) for step in steps]


def test_format_3_writes_fewer_rows_that_replay_as_format_2(
        engine_with: EngineWith, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = engine_with(SIMPLE)
    old = _walk(engine, clock, 2, monkeypatch)
    new = _walk(engine, clock, 3, monkeypatch)
    assert engine.verify_history().ok
    old_rows, new_rows = _rows(engine, old), _rows(engine, new)
    assert {r.format for r in old_rows} == {2} and {r.format for r in new_rows} == {3}
    assert len(new_rows) < len(old_rows)
    # No task_ready rows and no rows for the gateway or the end event (the start event opens
    # its batch, so nothing before it carries it).
    assert not [r for r in new_rows if r.type == "task_ready"]
    assert not {r.element_id for r in new_rows} & {"accepted_gateway", "closed_end"}
    assert _at_each_person_step(engine, new) == _at_each_person_step(engine, old)
    # The views and the timeline markers say the same as the replay.
    views = engine.history(new)
    assert {"accepted_gateway", "closed_end"} <= {e for v in views for e in chain.passed(v.detail)}
    assert [e for v in views for e in opens(v)] == [e for v in engine.history(old) for e in opens(v)]


def test_the_heatmap_counts_folded_steps_as_format_2_rows(
        engine_with: EngineWith, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = engine_with(SIMPLE)
    _walk(engine, clock, 2, monkeypatch)
    two = {h.element_id: (h.instances, h.visits, h.open_visits, h.median_seconds)
           for h in engine.stats.heatmap("simple_review", 1).elements}
    _walk(engine, clock, 3, monkeypatch)
    both = {h.element_id: (h.instances, h.visits, h.open_visits, h.median_seconds)
            for h in engine.stats.heatmap("simple_review", 1).elements}
    assert set(both) == set(two) and {"registered", "accepted_gateway", "closed_end", "accept_case"} <= set(both)
    for element, (instances, visits, open_visits, median) in two.items():
        assert both[element] == (2 * instances, 2 * visits, 2 * open_visits, median), element


def test_the_petition_case_replays_and_counts_the_same_in_both_formats(
        engine_with: EngineWith, monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped diagram along the main path (bench/history_bench.py measures its bytes)."""
    sys.path.insert(0, str(ROOT))
    from bench.petition_walk import WALK_PATH, prepare, provide_documents

    engine = engine_with(PROCESSES / "risk_colour.dmn", PROCESSES / "petition_case.bpmn")
    prepare(engine)
    ids = []
    for fmt in (2, 3):
        monkeypatch.setattr(chain, "FORMAT", fmt)
        case = engine.start("petition_case", {}, actor="clerk")
        for element, data in WALK_PATH[:8]:
            task = next(t for t in engine.tasks(instance_id=case.id) if t.element_id == element)
            provide_documents(engine, case.id, task.id, data)
            engine.complete(task.id, data, actor=task.assignee or "clerk")
        ids.append(case.id)
    assert engine.verify_history().ok
    assert _at_each_person_step(engine, ids[1]) == _at_each_person_step(engine, ids[0])
    assert len(_rows(engine, ids[1])) < 0.75 * len(_rows(engine, ids[0]))
    heat = {h.element_id: h.instances for h in engine.stats.heatmap("petition_case", 1).elements}
    assert heat and set(heat.values()) == {2}, "each element was reached by both cases"


def _drop_event_guard(engine: Engine) -> None:
    with engine.sessionmaker.kw["bind"].begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("DROP TRIGGER event_append_only ON event"))
        else:
            conn.execute(text("DROP TRIGGER event_no_update"))


#: One edit of each stored field of an event (the row given), as an insider would make it.
EDITS: dict[str, Any] = {
    "type": lambda r: "task_claimed",
    "element_id": lambda r: "someone_else",
    "task_id": lambda r: "00000000-0000-0000-0000-000000000000",
    "actor": lambda r: "mallory",
    "at": lambda r: r.at + timedelta(seconds=1),
    "detail": lambda r: {**dict(r.detail or {}), "by": "mallory"},
    "changes": lambda r: {"accepted": [False]},
    "prev_hash": lambda r: "f" * 64,
    "hash": lambda r: "f" * 64,
    "data_digest": lambda r: "f" * 64,
    "tasks_digest": lambda r: "f" * 64,
    "digest": lambda r: bytes(32),
    "seal": lambda r: bytes(64),
    "format": lambda r: 2,
}


@pytest.mark.parametrize("field", sorted(EDITS))
def test_an_edit_of_any_field_of_a_format_3_event_is_caught(
        engine_with: EngineWith, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, field: str) -> None:
    engine = engine_with(SIMPLE)
    iid = _walk(engine, clock, 3, monkeypatch)
    rows = _rows(engine, iid)
    # An event inside the chain: one that seals the state for the seal, else one that does not.
    sealing = field == "seal"
    row = next(r for r in rows[1:-1] if (r.seal is not None) == sealing and r.type != "task_claimed")
    _drop_event_guard(engine)
    with engine.sessionmaker.kw["bind"].begin() as conn:
        conn.execute(update(_EVENTS).where(_EVENTS.c.id == row.id).values({field: EDITS[field](row)}))
    report = engine.verify_history(iid)
    assert not report.ok and report.broken[0].seq == row.seq, field


def test_a_format_2_chain_goes_on_in_format_3_and_both_parts_are_checked(
        engine_with: EngineWith, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    engine = engine_with(SIMPLE)
    monkeypatch.setattr(chain, "FORMAT", 2)
    inst = engine.start("simple_review", {"handler": "zhang"}, actor="clerk")
    monkeypatch.setattr(chain, "FORMAT", 3)
    after = engine.complete(inst.tasks[0].id, {"accepted": True}, actor="coord")
    engine.complete(after.tasks[0].id, {"result": "已化解"}, actor="zhang")
    rows = _rows(engine, inst.id)
    formats = [r.format for r in rows]
    assert formats == sorted(formats) and set(formats) == {2, 3}
    assert engine.verify_history(inst.id).ok
    # The export writes the implied previous hashes out; the offline checker accepts it.
    out = tmp_path / "history.jsonl"
    with out.open("w", encoding="utf-8") as f:
        engine.audit.export_history(f, [inst.id], "jsonl", actor="auditor")
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "verify_export.py"), str(out)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    _drop_event_guard(engine)
    old = next(r for r in rows if r.format == 2)
    with engine.sessionmaker.kw["bind"].begin() as conn:
        conn.execute(update(_EVENTS).where(_EVENTS.c.id == old.id).values(actor="mallory"))
    assert engine.verify_history(inst.id).broken[0].seq == old.seq
