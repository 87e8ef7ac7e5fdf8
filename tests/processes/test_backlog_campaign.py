"""Scenarios for processes/backlog_campaign.bpmn: phases the office names and dates, weekly
bulletins, monthly reports, and the inspection at the end."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from engine import FormInvalid
from tests.processes.conftest import Driver
from tests.processes.test_petition_case import REGISTER

TARGETS = dict(campaign_id="c-2026", campaign_name="2026年信访积案化解专项行动",
               target_resolve_rate=90, target_petitioning_stopped_rate=85)
START = dict(TARGETS, mobilise_end="2026-03-15T18:00:00+08:00", investigate_end="2026-03-31T18:00:00+08:00",
             resolve_end="2026-05-31T18:00:00+08:00", inspect_end="2026-06-10T18:00:00+08:00")


def publish_and_investigate(d: Driver, mobilise_days: int) -> None:
    assert d.task("publish_campaign_plan").lane == "leading_group"
    d.complete("publish_campaign_plan", leading_group_members="书记、镇长", campaign_plan_ref="doc:p",
               target_resolve_rate=90, target_petitioning_stopped_rate=85)
    d.advance(days=mobilise_days)
    assert d.ready() == ["organise_screening", "register_ledger"]
    d.complete("organise_screening", screened_units="12个村社区", screened_petition_count=140)
    d.complete("register_ledger", ledger_case_count=23, ledger_ref="doc:l")


def resolve_and_inspect(d: Driver, resolve_until: datetime, step: int = 1) -> tuple[list[Any], list[Any]]:
    """Work the resolve phase in steps of `step` days, then the inspection, to the end."""
    d.complete("assign_ledger_cases", assigned_case_count=23, assignment_letter_ref="doc:a", assigned_to="liu")
    bulletins, reports = [], []
    while d.clock() < resolve_until:
        d.advance(days=step)
        for element in d.ready():
            if element == "write_weekly_bulletin":
                bulletins.append(d.complete(element, bulletin_progress="进展"))
            elif element == "write_monthly_report":
                reports.append(d.complete(element, monthly_resolved_count=5, monthly_overdue_count=1,
                                          monthly_report_ref="doc:m"))
    assert d.ready() == ["rebound_check", "sample_closed_cases"]
    d.complete("sample_closed_cases", sampled_case_count=5, sample_failed_count=0)
    d.complete("rebound_check", revisited_case_count=23, rebound_case_count=1)
    d.complete("write_summary_report", resolved_case_count=22, resolve_rate=95, petitioning_stopped_rate=90,
               summary_report_ref="doc:s")
    assert d.status() == "completed"
    return bulletins, reports


def test_four_phases_with_bulletins_and_monthly_reports(driver: Driver) -> None:
    d = driver
    d.start("backlog_campaign", START)
    assert d.data()["phase_names"] == ["动员部署", "排查摸底", "集中化解", "检查验收"]
    publish_and_investigate(d, 14)  # mobilise window ends 15 Mar
    d.advance(days=16)  # investigate window ends 31 Mar
    bulletins, reports = resolve_and_inspect(d, datetime(2026, 6, 1, tzinfo=UTC))
    assert len(bulletins) >= 2 and all(t.candidate_groups == ["supervisor"] for t in bulletins)
    assert len(reports) == 2
    assert [t.due_at.astimezone(UTC).day for t in reports] == [20, 20]
    assert [t.assignee for t in reports] == ["liu", "liu"], "the one the cases were assigned to reports"


@pytest.mark.sqlite_only
def test_four_phases_with_the_offices_own_names(driver: Driver) -> None:
    d = driver
    names = "宣传发动、排查梳理、集中攻坚、督查考核"
    d.start("backlog_campaign", dict(TARGETS, phase_names=names, phase_ends=[
        "2026-03-15T18:00:00+08:00", "2026-03-31T18:00:00+08:00",
        "2026-04-30T18:00:00+08:00", "2026-05-10T18:00:00+08:00"]))
    assert d.data()["phase_names"] == ["宣传发动", "排查梳理", "集中攻坚", "督查考核"]
    publish_and_investigate(d, 14)
    d.advance(days=16)
    _bulletins, reports = resolve_and_inspect(d, datetime(2026, 5, 1, tzinfo=UTC), step=7)
    assert len(reports) == 1


def test_three_phases_run_to_the_end(driver: Driver) -> None:
    """认定交办 / 处理化解 / 审理结案: the first phase publishes the plan and registers the ledger."""
    d = driver
    d.start("backlog_campaign", dict(TARGETS, phase_names="认定交办、处理化解、审理结案", phase_ends=[
        "2026-03-20T18:00:00+08:00", "2026-05-31T18:00:00+08:00", "2026-06-15T18:00:00+08:00"]))
    assert d.status() == "running"
    assert d.data()["phase_names"] == ["认定交办", "处理化解", "审理结案"]
    # The plan is due by the end of the first phase, not at once.
    assert d.task("publish_campaign_plan").due_at == datetime(2026, 3, 20, 10, tzinfo=UTC)
    publish_and_investigate(d, 0)  # no separate mobilising window: screening starts with the plan
    d.advance(days=19)  # first phase ends 20 Mar
    bulletins, reports = resolve_and_inspect(d, datetime(2026, 6, 1, tzinfo=UTC), step=7)
    assert len(bulletins) >= 8 and len(reports) == 2


def test_the_ledger_shows_the_phase_of_each_cases_campaign(driver: Driver) -> None:
    d = driver
    d.start("backlog_campaign", dict(TARGETS, phase_names="认定交办、处理化解、审理结案", phase_ends=[
        "2026-03-20T18:00:00+08:00", "2026-05-31T18:00:00+08:00", "2026-06-15T18:00:00+08:00"]))
    case = d.engine.start("petition_case", {}, actor="clerk")
    register = next(t for t in d.engine.tasks(instance_id=case.id) if t.element_id == "register_petition")
    d.engine.complete(register.id, dict(REGISTER, campaign_id="c-2026"), actor="clerk")  # picked: it runs

    def phase() -> str | None:
        return next(r.campaign_phase for r in d.engine.queries.ledger().rows if r.instance_id == case.id)

    assert phase() == "认定交办"
    d.advance(days=19)  # 21 March
    assert phase() == "处理化解"
    d.advance(days=100)  # every window has ended: the last phase stays
    assert phase() == "审理结案"


def test_cases_are_assigned_to_a_coordinator_picked_from_the_users_holding_the_role(driver: Driver) -> None:
    d = driver
    d.start("backlog_campaign", START)
    publish_and_investigate(d, 14)
    d.advance(days=16)
    task = d.engine.task(d.task("assign_ledger_cases").id)
    picker = next(f for f in task.form if f.id == "assigned_to")
    assert (picker.type, picker.properties["role"], picker.required) == ("user", "coordinator", True)
    d.engine.accounts.add_user("zhou", "a long password 1", ["case_handler"])
    with pytest.raises(FormInvalid) as refused:
        d.engine.complete(task.id, dict(assigned_case_count=23, assignment_letter_ref="doc:a", assigned_to="zhou"),
                          actor="leading_group")
    assert refused.value.problems["assigned_to"].code == "unknown_user"
    with pytest.raises(FormInvalid) as missing:
        d.engine.complete(task.id, dict(assigned_case_count=23, assignment_letter_ref="doc:a"), actor="leading_group")
    assert missing.value.problems["assigned_to"].code == "required"
    assert d.task("assign_ledger_cases").id == task.id, "nothing was recorded"
    d.complete("assign_ledger_cases", assigned_case_count=23, assignment_letter_ref="doc:a", assigned_to="liu")
    assert d.data()["assigned_to"] == "liu"
