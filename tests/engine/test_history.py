"""engine/history.py: the hash chain, append-only storage, verification and replay."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from engine import Engine, FakeClock
from engine.chain import Sealed, link_hash, opens
from engine.history import GENESIS
from tests.conftest import EngineWith

SIMPLE = Path(__file__).parent / "diagrams" / "simple_review.bpmn"


def _run_case(engine: Engine, clock: FakeClock) -> int:
    engine.deploy(SIMPLE, actor="designer")
    inst = engine.start("simple_review", {"handler": "zhang", "petitioner": "李某"}, actor="clerk")
    clock.advance(days=1)
    after = engine.complete(inst.tasks[0].id, {"accepted": True, "comment": "受理"}, actor="coord")
    clock.advance(days=2)
    engine.complete(after.tasks[0].id, {"result": "已化解"}, actor="zhang")
    return inst.id


def test_history_answers_who_changed_what_when_through_which_task(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with()
    iid = _run_case(engine, clock)
    events = engine.history(iid)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    accept = next(e for e in events if e.type == "task_completed" and e.element_id == "accept_case")
    assert accept.actor == "coord" and accept.task_id
    assert accept.changes == {"accepted": (None, True), "comment": (None, "受理")}
    assert accept.at == clock() - __import__("datetime").timedelta(days=2)
    assert len({e.hash for e in events}) == len(events)


def test_the_database_refuses_edits_and_deletes_of_events(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with()
    iid = _run_case(engine, clock)
    db = engine.sessionmaker.kw["bind"]
    for sql in (f"UPDATE event SET actor = 'mallory' WHERE instance_id = {iid}",
                f"DELETE FROM event WHERE instance_id = {iid}"):
        with pytest.raises(DBAPIError, match="append-only"):
            with db.begin() as conn:
                conn.execute(text(sql))
    assert engine.verify_history().ok


def _drop_guard(engine: Engine) -> None:
    db = engine.sessionmaker.kw["bind"]
    with db.begin() as conn:
        if db.dialect.name == "postgresql":
            conn.execute(text("DROP TRIGGER event_append_only ON event"))
        else:
            conn.execute(text("DROP TRIGGER event_no_update"))
            conn.execute(text("DROP TRIGGER event_no_delete"))


def test_an_edit_behind_the_products_back_is_detected(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with()
    iid = _run_case(engine, clock)
    other = engine.start("simple_review", actor="clerk").id
    _drop_guard(engine)
    with engine.sessionmaker.kw["bind"].begin() as conn:
        conn.execute(text(f"UPDATE event SET actor = 'mallory' WHERE instance_id = {iid} AND seq = 3"))
    report = engine.verify_history()
    assert not report.ok
    assert [(b.instance_id, b.seq) for b in report.broken] == [(iid, 3)]
    assert engine.verify_history(other).ok


@pytest.mark.parametrize("where", ["middle", "last"])
def test_a_deleted_event_is_detected(engine_with: EngineWith, clock: FakeClock, where: str) -> None:
    engine = engine_with()
    iid = _run_case(engine, clock)
    last = engine.history(iid)[-1].seq
    seq = 4 if where == "middle" else last
    _drop_guard(engine)
    with engine.sessionmaker.kw["bind"].begin() as conn:
        conn.execute(text(f"DELETE FROM event WHERE instance_id = {iid} AND seq = {seq}"))
    report = engine.verify_history(iid)
    assert not report.ok and report.broken[0].seq == seq


def test_replay_rebuilds_each_step_from_events(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with()
    iid = _run_case(engine, clock)
    events = engine.history(iid)
    ready = next(e.seq for e in events if "accept_case" in opens(e))
    at_ready = engine.replay(iid, ready)
    assert "accept_case" in at_ready.active and "accept_overdue" in at_ready.waiting
    assert "compute_deadline" in at_ready.completed
    assert "accepted" not in at_ready.data and at_ready.data["handler"] == "zhang"
    final = engine.replay(iid, events[-1].seq)
    assert final.active == [] and final.waiting == []
    assert {"accept_case", "handle", "closed_end"} <= set(final.completed)
    assert "accept_overdue" in final.cancelled
    assert final.data == engine.instance(iid).data
    assert engine.replay(iid, 1).data == {"handler": "zhang", "petitioner": "李某"}


def test_each_event_hash_covers_the_previous_events_hash(engine_with: EngineWith, clock: FakeClock) -> None:
    """Without the previous hash in it, events could be dropped or reordered unnoticed."""
    engine = engine_with()
    iid = _run_case(engine, clock)
    with engine.sessionmaker() as s:
        rows = s.execute(text("SELECT seq, type, element_id, task_id, actor, at, detail, changes, "
                              "prev_hash, hash, format, data_digest, tasks_digest, digest, seal "
                              "FROM event WHERE instance_id = :i ORDER BY seq"),
                         {"i": iid}).all()
    events = engine.history(iid)
    # Format 3 stores no previous hash (it is the hash of the event before, in sequence order)
    # and keeps the hash and the state digests as bytes.
    assert {(row.prev_hash, row.hash, row.data_digest, row.tasks_digest) for row in rows} == {("", "", None, None)}
    prev = GENESIS
    for row, view in zip(rows, events, strict=True):
        detail = row.detail if isinstance(row.detail, dict) else json.loads(row.detail)
        changes = row.changes if isinstance(row.changes, dict) else json.loads(row.changes)
        assert row.format == 3 and len(row.digest) == 32
        seal = bytes(row.seal).hex() if row.seal is not None else None
        event = Sealed(3, iid, row.seq, row.type, row.element_id, row.task_id, row.actor, view.at, detail,
                       changes, seal and seal[:64], seal and seal[64:])
        assert link_hash(prev, event) == bytes(row.digest).hex() == view.hash
        assert link_hash(GENESIS if prev != GENESIS else "f" * 64, event) != view.hash
        prev = view.hash
