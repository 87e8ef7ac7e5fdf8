"""The audit's engine side: history format 2 (state digests), tamper detection with and without
signed checkpoints, the operation log, and export checked offline by tools/verify_export.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from engine import Engine, FakeClock, OperationFilter, chain
from engine.chain import GENESIS, link_hash, stored_hash, stored_prev_hash
from engine.history import event_hash
from engine.models import Event
from tests.conftest import ROOT, EngineWith
from tests.engine import bpmn_builder as b
from tests.engine.test_migration import KEY, review

SIMPLE = Path(__file__).parent / "diagrams" / "simple_review.bpmn"
VERIFY_EXPORT = ROOT / "tools" / "verify_export.py"


def _case(engine: Engine, clock: FakeClock, *, finish: bool = False) -> int:
    """A case of the simple review, left at its handling task (or walked to the end)."""
    engine.deploy(SIMPLE, actor="designer")
    inst = engine.start("simple_review", {"handler": "zhang", "petitioner": "李某"}, actor="clerk")
    clock.advance(days=1)
    after = engine.complete(inst.tasks[0].id, {"accepted": True, "comment": "受理"}, actor="coord")
    if finish:
        clock.advance(days=2)
        engine.complete(after.tasks[0].id, {"result": "已化解"}, actor="zhang")
    return inst.id


def _sql(engine: Engine, statement: str, **params: object) -> None:
    with engine.sessionmaker.kw["bind"].begin() as conn:
        conn.execute(text(statement), params)


def _drop_event_guard(engine: Engine) -> None:
    """What an insider with database rights does first."""
    if engine.sessionmaker.kw["bind"].dialect.name == "postgresql":
        _sql(engine, "DROP TRIGGER event_append_only ON event")
    else:
        _sql(engine, "DROP TRIGGER event_no_update")
        _sql(engine, "DROP TRIGGER event_no_delete")


def _events(engine: Engine, iid: int) -> list[dict[str, object]]:
    with engine.sessionmaker() as s:
        rows = s.scalars(select(Event).where(Event.instance_id == iid).order_by(Event.seq))
        return [{c.key: getattr(r, c.key) for c in Event.__table__.columns} for r in rows]


def _json(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else json.loads(str(value))


def _rewrite(engine: Engine, iid: int, seq: int, actor: str) -> None:
    """Change one event's actor and recompute every hash after it, and the instance's head."""
    prev = GENESIS
    for row in _events(engine, iid):
        if row["seq"] == seq:
            row["actor"] = actor
        plain = {**row, "detail": _json(row["detail"]), "changes": _json(row["changes"])}
        event = chain.sealed(SimpleNamespace(**plain))
        digest = link_hash(prev, event)
        stored = stored_hash(event.format, digest, event.data_digest, event.tasks_digest)
        _sql(engine, "UPDATE event SET actor = :a, prev_hash = :p, hash = :h, digest = :d "
                     "WHERE instance_id = :i AND seq = :s",
             a=row["actor"], p=stored_prev_hash(event.format, prev), h=stored["hash"], d=stored["digest"],
             i=iid, s=row["seq"])
        prev = digest
    _sql(engine, "UPDATE instance SET last_hash = :h WHERE id = :i", h=prev, i=iid)


# -- history format 2 --------------------------------------------------------------------------


def test_every_format_2_event_seals_the_data_and_open_tasks(
        engine_with: EngineWith, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chain, "FORMAT", 2)
    engine = engine_with()
    iid = _case(engine, clock)
    rows = _events(engine, iid)
    assert {r["format"] for r in rows} == {2}
    assert all(r["data_digest"] and r["tasks_digest"] for r in rows)
    # The task the case waits at changes the tasks digest: the start and the acceptance differ.
    assert rows[0]["tasks_digest"] != rows[-1]["tasks_digest"]
    assert engine.verify_history(iid).ok


def test_format_3_seals_the_data_and_open_tasks_on_the_last_event_of_each_operation(
        engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with()
    iid = _case(engine, clock)
    rows = _events(engine, iid)
    assert {r["format"] for r in rows} == {3}
    # Two operations a day apart (start, acceptance): the last event of each batch seals the
    # state, the others store no digests (they hash them as null).
    last_of_day = {r["at"]: r["seq"] for r in rows}
    sealing = [r["seq"] for r in rows if r["seal"]]
    assert len(last_of_day) == 2 and set(last_of_day.values()) <= set(sealing)
    assert set(sealing) < {r["seq"] for r in rows}  # some events of a batch do not store the seal
    assert all(len(bytes(r["seal"])) == 64 for r in rows if r["seal"])  # type: ignore[arg-type]
    assert {(r["prev_hash"], r["hash"], r["data_digest"], r["tasks_digest"]) for r in rows} == {("", "", None, None)}
    assert engine.verify_history(iid).ok


def test_editing_instance_data_is_detected_and_named(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with()
    iid = _case(engine, clock)
    other = _case(engine, clock)
    last = engine.history(iid)[-1].seq
    data = dict(engine.instance(iid).data, accepted=False)
    _sql(engine, "UPDATE instance SET data = :d WHERE id = :i", d=json.dumps(data), i=iid)
    report = engine.verify_history()
    assert [(b.instance_id, b.seq) for b in report.broken] == [(iid, last)]
    assert "instance.data edited" in report.broken[0].reason
    assert engine.verify_history(other).ok


def test_editing_a_task_row_is_detected_and_named(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with()
    iid = _case(engine, clock)
    task = engine.tasks(instance_id=iid)[0]
    _sql(engine, "UPDATE human_task SET assignee = 'mallory' WHERE id = :t", t=task.id)
    report = engine.verify_history(iid)
    assert not report.ok and "task table edited" in report.broken[0].reason
    assert report.broken[0].instance_id == iid


def test_a_deleted_open_task_is_detected(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with()
    iid = _case(engine, clock)
    task = engine.tasks(instance_id=iid)[0]
    _sql(engine, "DELETE FROM human_task_group WHERE task_id = :t", t=task.id)
    _sql(engine, "DELETE FROM human_task WHERE id = :t", t=task.id)
    assert "task table edited" in engine.verify_history(iid).broken[0].reason


def test_format_1_events_verify_as_before(engine_with: EngineWith, clock: FakeClock) -> None:
    """A database from before format 2: its events, as format 1 hashed them, still verify; an
    edit of one is still caught; new events of the same case chain on in format 3."""
    engine = engine_with()
    iid = _case(engine, clock)
    _drop_event_guard(engine)
    prev = GENESIS
    for row in _events(engine, iid):
        digest = event_hash(prev, iid, int(str(row["seq"])), str(row["type"]), row["element_id"],  # type: ignore[arg-type]
                            row["task_id"], str(row["actor"]), row["at"], _json(row["detail"]),  # type: ignore[arg-type]
                            _json(row["changes"]))
        _sql(engine, "UPDATE event SET format = 1, data_digest = NULL, tasks_digest = NULL, prev_hash = :p, "
                     "hash = :h WHERE instance_id = :i AND seq = :s", p=prev, h=digest, i=iid, s=row["seq"])
        prev = digest
    _sql(engine, "UPDATE instance SET last_hash = :h WHERE id = :i", h=prev, i=iid)
    engine.forget_cached()
    assert engine.verify_history(iid).ok
    # The case goes on: the new events are format 3 and chain onto the format-1 head.
    engine.complete(engine.tasks(instance_id=iid)[0].id, {"result": "已化解"}, actor="zhang")
    rows = _events(engine, iid)
    assert [r["format"] for r in rows].count(1) == len(rows) - [r["format"] for r in rows].count(3)
    assert rows[-1]["format"] == 3 and engine.verify_history(iid).ok
    _sql(engine, "UPDATE event SET actor = 'mallory' WHERE instance_id = :i AND seq = 2", i=iid)
    report = engine.verify_history(iid)
    assert (report.broken[0].seq, "event edited" in report.broken[0].reason) == (2, True)


# -- signed checkpoints --------------------------------------------------------------------------


def _keys(engine: Engine, tmp_path: Path) -> tuple[Path, Path]:
    return engine.audit.keygen(tmp_path / "keys" / "checkpoint.pem")


def test_a_rewritten_and_recomputed_chain_is_caught_by_a_checkpoint(
        engine_with: EngineWith, clock: FakeClock, tmp_path: Path) -> None:
    engine = engine_with()
    iid = _case(engine, clock, finish=True)
    other = _case(engine, clock)
    private, public = _keys(engine, tmp_path)
    worm = tmp_path / "worm"
    made = engine.audit.checkpoint(key=private, directory=worm)
    assert made.cases == 2 and Path(str(made.file)).exists()
    assert engine.audit.verify(checkpoint_dir=worm, public_key=public).ok
    _drop_event_guard(engine)
    _rewrite(engine, iid, 3, "mallory")
    # The chain alone is consistent again: only the signed checkpoint tells.
    assert engine.verify_history().ok
    report = engine.audit.verify(checkpoint_dir=worm, public_key=public)
    assert not report.ok and report.checkpoints_read == 1
    assert [(b.instance_id, b.seq) for b in report.rewritten] == [(iid, 1)]
    assert f"event {len(_events(engine, iid))} differs" in report.rewritten[0].reason
    assert all(b.instance_id != other for b in report.rewritten)


def test_a_later_checkpoint_narrows_the_rewrite_to_the_events_after_the_earlier(
        engine_with: EngineWith, clock: FakeClock, tmp_path: Path) -> None:
    engine = engine_with()
    iid = _case(engine, clock)
    private, public = _keys(engine, tmp_path)
    engine.audit.checkpoint(key=private, directory=tmp_path / "worm")
    first_head = len(_events(engine, iid))
    engine.complete(engine.tasks(instance_id=iid)[0].id, {"result": "已化解"}, actor="zhang")
    engine.audit.checkpoint(key=private, directory=tmp_path / "worm")
    _drop_event_guard(engine)
    _rewrite(engine, iid, first_head + 1, "mallory")
    report = engine.audit.verify(iid, checkpoint_dir=tmp_path / "worm", public_key=public)
    assert [(b.instance_id, b.seq) for b in report.rewritten] == [(iid, first_head + 1)]


def test_an_altered_checkpoint_file_or_another_key_is_refused(
        engine_with: EngineWith, clock: FakeClock, tmp_path: Path) -> None:
    engine = engine_with()
    _case(engine, clock)
    private, public = _keys(engine, tmp_path)
    made = engine.audit.checkpoint(key=private, directory=tmp_path / "worm")
    path = Path(str(made.file))
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["heads"][0][2] = "f" * 64
    path.write_text(json.dumps(doc), encoding="utf-8")
    report = engine.audit.verify(checkpoint_dir=tmp_path / "worm", public_key=public)
    assert not report.ok and "do not give the signed root" in report.problems[0]
    _, other_public = engine.audit.keygen(tmp_path / "other.pem")
    assert "signature does not match" in engine.audit.verify(
        checkpoint_dir=tmp_path / "worm", public_key=other_public).problems[0]


def test_keygen_never_overwrites_a_key(engine_with: EngineWith, tmp_path: Path) -> None:
    from engine import AuditError

    engine = engine_with()
    private, _ = _keys(engine, tmp_path)
    before = private.read_bytes()
    with pytest.raises(AuditError, match="exists already"):
        _keys(engine, tmp_path)
    assert private.read_bytes() == before and (private.stat().st_mode & 0o077) == 0


# -- operation log -------------------------------------------------------------------------------


def test_each_action_writes_one_operation_entry(engine_with: EngineWith, clock: FakeClock, tmp_path: Path) -> None:
    engine = engine_with()
    engine.accounts.scrypt_n = 2**4
    with engine.audit.acting_as("admin", "10.0.0.7"):
        engine.accounts.add_user("zhang", "correct horse 1", ["case_handler"])
        engine.accounts.set_groups("zhang", ["case_handler", "coordinator"])
        engine.accounts.set_active("zhang", True)
        engine.accounts.set_password("zhang", "correct horse 2")
        token = engine.accounts.create_token("zhang")
        assert token
        engine.accounts.revoke_tokens("zhang")
        engine.calendar.set_override("2026-03-07", "workday", actor="admin")
        engine.calendar.clear_override("2026-03-07")
    engine.accounts.verify("zhang", "correct horse 2", client="10.0.0.8")
    with pytest.raises(Exception, match="wrong name or password"):
        engine.accounts.verify("zhang", "wrong", client="10.0.0.9")
    engine.accounts.end_sessions("zhang")
    engine.deploy(SIMPLE, actor="designer")
    iid = engine.start("simple_review", {"handler": "zhang"}, actor="clerk").id
    task = engine.tasks(instance_id=iid)[0]  # offered to the coordinators, as zhang now is
    engine.assign(task.id, "zhang", actor="coord")
    engine.suspend(iid, actor="coord", reason="复核")
    engine.resume(iid, actor="coord")
    engine.cancel(iid, actor="coord", reason="重复登记")
    engine.deploy(b.script_process("later", "assert now() > '2026-04-01'\nok = True"), actor="designer")
    failing = engine.start("later", actor="clerk")
    engine.retry(failing.id, actor="coord")
    list(engine.audit.export_lines([iid], "jsonl", actor="auditor"))
    entries = {e.action: e for e in engine.audit.operations(OperationFilter(limit=1000))}
    expected = {"user_added", "roles_changed", "user_active_changed", "password_set", "token_created",
                "token_revoked", "calendar_override", "login", "login_failed", "logout", "deploy", "assign",
                "suspend", "resume", "cancel", "retry", "export"}
    assert expected <= set(entries)
    assert (entries["roles_changed"].actor, entries["roles_changed"].address) == ("admin", "10.0.0.7")
    assert entries["roles_changed"].before == {"groups": ["case_handler"]}
    assert entries["roles_changed"].after == {"groups": ["case_handler", "coordinator"]}
    assert (entries["login"].actor, entries["login"].address) == ("zhang", "10.0.0.8")
    assert entries["login_failed"].address == "10.0.0.9"
    assert entries["assign"].after == {"assignee": "zhang"} and entries["assign"].actor == "coord"
    assert entries["cancel"].target == f"instance {iid}" and entries["cancel"].after["reason"] == "重复登记"
    assert entries["deploy"].target is not None and entries["deploy"].actor == "designer"
    assert engine.audit.verify().operations.ok
    only_logins = engine.audit.operations(OperationFilter(action="login"))
    assert [e.action for e in only_logins] == ["login"]


def test_a_migration_is_in_the_operation_log(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with(review())
    iid = engine.start(KEY, actor="clerk").id
    engine.deploy(review(extra_step=True), actor="designer")
    engine.migrate(iid, 2, actor="designer")
    moves = engine.audit.operations(OperationFilter(action="migrate"))
    assert [(m.target, m.before, m.after) for m in moves] == [(f"instance {iid}", {"version": 1}, {"version": 2})]
    assert engine.verify_history(iid).ok


def test_the_operation_log_refuses_update_and_delete_and_an_edit_is_detected(
        engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with()
    _case(engine, clock)
    for statement in ("UPDATE operation SET actor = 'x'", "DELETE FROM operation"):
        with pytest.raises(DBAPIError, match="append-only"):
            _sql(engine, statement)
    if engine.sessionmaker.kw["bind"].dialect.name == "postgresql":
        _sql(engine, "DROP TRIGGER operation_append_only ON operation")
    else:
        _sql(engine, "DROP TRIGGER operation_no_update")
    _sql(engine, "UPDATE operation SET actor = 'mallory' WHERE seq = 1")
    report = engine.audit.verify().operations
    assert (report.ok, report.bad_seq, report.reason) == (False, 1, "content does not match its hash (entry edited)")


# -- export ------------------------------------------------------------------------------------


def _verify_export(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(VERIFY_EXPORT), str(path), *args],
                          capture_output=True, text=True, check=False)


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_verifies_offline_and_one_changed_byte_fails_naming_the_line(
        engine_with: EngineWith, clock: FakeClock, tmp_path: Path, fmt: str) -> None:
    engine = engine_with()
    iid = _case(engine, clock, finish=True)
    private, public = _keys(engine, tmp_path)
    engine.audit.checkpoint(key=private, directory=tmp_path / "worm")
    out = tmp_path / f"case.{fmt}"
    with out.open("w", encoding="utf-8", newline="") as f:
        lines = engine.audit.export_history(f, [iid], fmt, actor="auditor")
    events = len(engine.history(iid))
    assert lines == events + 1 + (1 if fmt == "csv" else 0)  # the events, one checkpoint (and the header)
    done = _verify_export(out, "--public-key", str(public))
    assert (done.returncode, done.stdout.startswith("ok")) == (0, True), done.stdout
    assert f"{events} events of 1 cases, 1 checkpoint proofs (signatures checked)" in done.stdout
    raw = out.read_bytes()
    at = raw.index(b"zhang", raw.index(b"task_completed"))  # the handler, in a task_completed line
    line = raw[:at].count(b"\n") + 1
    out.write_bytes(raw[:at] + b"Z" + raw[at + 1:])
    failed = _verify_export(out)
    assert failed.returncode == 1 and failed.stdout.startswith(f"FAILED: line {line}:"), failed.stdout
    # A changed signature is caught with the public key.
    sig = raw.rindex(b"signature")
    out.write_bytes(raw)
    tampered = raw[:sig + 14] + (b"0" if raw[sig + 14:sig + 15] != b"0" else b"1") + raw[sig + 15:]
    if fmt == "csv":  # the signature is the last cell of the checkpoint line
        end = raw.rstrip(b"\n").rindex(b",") + 3
        tampered = raw[:end] + (b"0" if raw[end:end + 1] != b"0" else b"1") + raw[end + 1:]
    out.write_bytes(tampered)
    last_line = raw.rstrip(b"\n").count(b"\n") + 1
    refused = _verify_export(out, "--public-key", str(public))
    assert refused.returncode == 1 and refused.stdout.startswith(f"FAILED: line {last_line}:"), refused.stdout


def test_a_campaign_export_has_every_case_of_the_campaign(
        engine_with: EngineWith, clock: FakeClock, tmp_path: Path) -> None:
    engine = engine_with()
    engine.deploy(SIMPLE, actor="designer")
    campaigns = ("2025专项", "2025专项", "其他")
    ids = [engine.start("simple_review", {"campaign_id": c}, actor="clerk").id for c in campaigns]
    chosen = engine.audit.export_cases(campaign_id="2025专项")
    assert chosen == ids[:2]
    out = tmp_path / "campaign.jsonl"
    with out.open("w", encoding="utf-8") as f:
        engine.audit.export_history(f, chosen, "jsonl", actor="auditor")
    kinds = {json.loads(line)["instance"] for line in out.read_text(encoding="utf-8").splitlines()}
    assert kinds == set(ids[:2])
    assert _verify_export(out).returncode == 0


def test_the_scheduler_signs_a_checkpoint_when_one_is_due(
        engine_with: EngineWith, clock: FakeClock, tmp_path: Path) -> None:
    from engine import Settings
    from engine.timers import checkpoint_if_due

    settings = Settings(instance_dir=str(tmp_path), checkpoint_hours=24)
    engine = engine_with(settings=settings)
    assert not checkpoint_if_due(engine), "no key yet: nothing signed"
    engine.audit.keygen()
    _case(engine, clock)
    assert checkpoint_if_due(engine)
    clock.advance(hours=23)
    assert not checkpoint_if_due(engine)
    clock.advance(hours=2)
    assert checkpoint_if_due(engine)
    files = sorted((tmp_path / "checkpoints").glob("checkpoint-*.json"))
    assert len(files) == 2
    assert engine.audit.verify(checkpoint_dir=tmp_path / "checkpoints",
                               public_key=Path(settings.checkpoint_key_file + ".pub")).ok


def test_when_nobody_acts_the_timer_firing_seals_the_state_too(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with(SIMPLE)
    iid = engine.start("simple_review", {"handler": "zhang"}, actor="clerk").id
    clock.advance(days=30)
    assert engine.fire_due_timers() >= 1
    rows = _events(engine, iid)
    fired = [r for r in rows if r["type"] == "timer_fired"]
    assert fired and all(r["format"] == 3 for r in rows) and rows[-1]["seal"]
    assert engine.verify_history(iid).ok
    # The acceptance stays open past its deadline (a non-interrupting timer): its row is
    # sealed as the firing left it.
    open_tasks = engine.tasks(instance_id=iid)
    assert "accept_case" in {t.element_id for t in open_tasks}
    _sql(engine, "UPDATE human_task SET due_at = NULL WHERE id = :t", t=open_tasks[0].id)
    assert "task table edited" in engine.verify_history(iid).broken[0].reason
