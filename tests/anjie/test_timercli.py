"""anjie/timercli.py: `anjie timers` and `anjie calendar` (`anjie scheduler` runs in
tests/engine/test_scheduler.py, where two of them fire 1000 timers)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from anjie.cli import main
from engine import FakeClock
from engine.calendar import Calendar
from tests.conftest import EngineWith
from tests.engine.test_timers import DEADLINE_WAIT

#: The printed due times below count from this Monday.
MONDAY_2025 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def test_timers_command_lists_instance_element_and_due_time(
    engine_with: EngineWith, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = engine_with(DEADLINE_WAIT, clock=FakeClock(MONDAY_2025))
    soon = engine.start(
        "deadline_wait", {"days": 2, "working": False, "divisor": 1}, actor="clerk"
    ).id
    late = engine.start(
        "deadline_wait", {"days": 20, "working": False, "divisor": 1}, actor="clerk"
    ).id
    assert main(["timers", "--database-url", db_url]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == [
        "instance",
        str(soon),
        "deadline_reached",
        "due",
        "2025-03-05T09:00:00+00:00",
    ]
    assert out[1].split()[:2] == ["instance", str(late)]
    assert out[-1] == "2 waiting timers"
    assert main(["timers", "--due-before", "2025-03-10", "--database-url", db_url]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and out[-1].startswith("1 waiting timers due before 2025-03-10")


def test_calendar_commands(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calendar", "override", "2025-10-09", "holiday", "--database-url", db_url]) == 0
    assert main(["calendar", "show", "2025", "--database-url", db_url]) == 0
    out = capsys.readouterr().out
    assert "2025: 247 working days" in out
    assert "2025-10-09 Thu  holiday  local" in out
    assert "2025-09-28 Sun  workday  national" in out
    assert main(["calendar", "override", "2025-10-09", "clear", "--database-url", db_url]) == 0
    assert main(["calendar", "override", "9 Oct", "holiday", "--database-url", db_url]) == 2
    assert "not an ISO date" in capsys.readouterr().err
    assert Calendar  # the service class is public for the web app's admin page
