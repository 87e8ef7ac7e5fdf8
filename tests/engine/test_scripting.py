"""engine/scripting.py: restricted, bounded scripts; failures become incidents, not crashes."""

from __future__ import annotations

import time

import pytest

from engine import FakeClock
from engine.scripting import RestrictedEnvironment, ScriptFailed, using_case_data
from tests.conftest import EngineWith
from tests.engine import bpmn_builder as b

ESCAPES = [
    "x = ().__class__.__mro__",
    "x = (i for i in []).gi_frame",
    "x = '{0.__class__}'.format(1)",
    "x = eval('1')",
    "x = exec('y = 1')",
    "x = compile('1', 'f', 'eval')",
    "x = open('/etc/passwd').read()",
    "x = getattr(1, '__class__')",
    "x = __builtins__",
    "x = globals()",
]


@pytest.mark.parametrize("script", ESCAPES)
def test_escapes_are_refused(script: str) -> None:
    env = RestrictedEnvironment()
    with pytest.raises(ScriptFailed):
        env.execute(script, {})


@pytest.mark.parametrize(
    "script",
    ["while True: pass", "x = 'x' * 10**10", "x = 10 ** 10 ** 10", "x = list(range(10**12))",
     "x = 'a'.ljust(10**10)", "s = 'ab'\nwhile True:\n    s = s + s"],
)
def test_endless_or_huge_scripts_end_within_seconds(script: str) -> None:
    env = RestrictedEnvironment(timeout_seconds=1.0)
    start = time.monotonic()
    with pytest.raises(ScriptFailed):
        env.execute(script, {})
    assert time.monotonic() - start < 5


def test_helpers_and_plain_python_work() -> None:
    env = RestrictedEnvironment()
    ctx = {"received_at": "2026-03-02T00:00:00+00:00", "items": [3, 1, 2]}
    env.execute(
        "deadline = add_days(received_at, 15)\n"
        "work_deadline = add_working_days(received_at, 15)\n"
        "total = sum(i for i in items)\nordered = sorted(items)\n"
        "late = parse_datetime(deadline) > parse_datetime(received_at) + timedelta(days=14)",
        ctx,
    )
    assert ctx["deadline"] == "2026-03-17T00:00:00+00:00"
    assert ctx["work_deadline"] == "2026-03-23T00:00:00+00:00"
    assert ctx["total"] == 6 and ctx["ordered"] == [1, 2, 3] and ctx["late"] is True
    assert env.evaluate("total > 5 and 'x' in 'xyz'", ctx) is True


def test_system_exit_becomes_an_incident_and_others_carry_on(engine_with: EngineWith) -> None:
    engine = engine_with()
    engine.deploy(b.script_process("exits", "raise SystemExit(3)"), actor="d")
    engine.deploy(b.script_process("fine", "x = 1"), actor="d")
    bad = engine.start("exits", actor="clerk")
    assert bad.status == "error"
    assert bad.incident_element == "run_script" and "SystemExit" in (bad.incident_message or "")
    good = engine.start("fine", actor="clerk")
    assert good.status == "running" and good.data["x"] == 1
    assert [e.type for e in engine.history(bad.id)][-1] == "incident_raised"


def test_endless_loop_in_a_diagram_is_an_incident(engine_with: EngineWith) -> None:
    engine = engine_with()
    engine.settings.script_timeout_seconds = 1.0
    engine.deploy(b.script_process("spin", "while True:\n    pass"), actor="d")
    start = time.monotonic()
    inst = engine.start("spin", actor="clerk")
    assert time.monotonic() - start < 10
    assert inst.status == "error" and "time limit" in (inst.incident_message or "")


def test_retry_runs_the_failed_script_again(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with()
    # The script fails until the clock passes a date: retry after that succeeds.
    engine.deploy(b.script_process("later", "assert now() > '2026-04-01'\nok = True"), actor="d")
    inst = engine.start("later", {"case": "A-1"}, actor="clerk")
    assert inst.status == "error" and inst.incident_element == "run_script"
    assert inst.data == {"case": "A-1"}, "a failed script leaves the data as before"
    assert engine.retry(inst.id, actor="coordinator").status == "error"
    clock.advance(days=40)
    retried = engine.retry(inst.id, actor="coordinator")
    assert retried.status == "running" and retried.data["ok"] is True
    assert [t.element_id for t in retried.tasks] == ["check"]
    types = [e.type for e in engine.history(inst.id)]
    assert types.count("incident_raised") == 2 and types.count("instance_retried") == 2


def test_task_data_may_not_shadow_helpers(engine_with: EngineWith) -> None:
    engine = engine_with()
    engine.deploy(b.script_process("p", "x = 1"), actor="d")
    from engine import DataInvalid

    with pytest.raises(DataInvalid) as info:
        engine.start("p", {"now": "tomorrow"}, actor="clerk")
    assert info.value.field == "now"


@pytest.mark.sqlite_only
def test_working_days_count_on_the_beijing_date() -> None:
    """07:00 Beijing on Monday 2 March 2026 is still Sunday in UTC; the due day is the same."""
    env = RestrictedEnvironment()
    early = {"accepted_at": "2026-03-01T23:00:00+00:00"}  # Monday 07:00 Beijing
    late = {"accepted_at": "2026-03-02T01:00:00+00:00"}  # Monday 09:00 Beijing
    for ctx in (early, late):
        env.execute("due = add_working_days(accepted_at, 2)", ctx)
    assert early["due"] == "2026-03-03T23:00:00+00:00"  # Wednesday 07:00 Beijing
    assert late["due"] == "2026-03-04T01:00:00+00:00"  # Wednesday 09:00 Beijing


@pytest.mark.sqlite_only
def test_next_working_day_moves_a_rest_day_deadline_only() -> None:
    env = RestrictedEnvironment()
    # Saturday 4 October 2025 (National Day week) -> Thursday 9 October, the first working day.
    holiday = env.evaluate("next_working_day('2025-10-04T10:00:00+08:00')", {})
    assert holiday == "2025-10-09T10:00:00+08:00"
    # Sunday 23:30 UTC is Monday 07:30 Beijing: a working day already, unchanged.
    assert env.evaluate("next_working_day('2026-03-01T23:30:00+00:00')", {}) == "2026-03-01T23:30:00+00:00"
    # Saturday 7 March 2026 16:30 UTC is Sunday 00:30 Beijing -> Monday 00:30 Beijing.
    assert env.evaluate("next_working_day('2026-03-07T16:30:00+00:00')", {}) == "2026-03-08T16:30:00+00:00"


@pytest.mark.sqlite_only
def test_case_value_reads_the_case_and_latest_takes_the_later_moment() -> None:
    """A waiting branch reads what another branch recorded (an extension) through case_value."""
    env = RestrictedEnvironment()
    branch = {"deadline": "2026-05-06T01:00:00+00:00"}
    with using_case_data({"deadline": "2026-06-05T01:00:00+00:00"}):
        assert env.evaluate("latest(deadline, case_value('deadline'))", branch) == "2026-06-05T01:00:00+00:00"
        assert env.evaluate("case_value('missing', 3)", branch) == 3
    assert env.evaluate("latest(deadline, case_value('deadline'))", branch) == "2026-05-06T01:00:00+00:00"
