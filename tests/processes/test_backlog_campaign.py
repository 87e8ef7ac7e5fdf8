"""Scenario for processes/backlog_campaign.bpmn: four dated phases, weekly bulletins, a monthly report."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.processes.conftest import Driver

START = dict(campaign_id="c-2026", campaign_name="2026年信访积案化解专项行动",
             mobilise_end="2026-03-15T18:00:00+08:00", investigate_end="2026-03-31T18:00:00+08:00",
             resolve_end="2026-05-31T18:00:00+08:00", inspect_end="2026-06-10T18:00:00+08:00",
             target_resolve_rate=90, target_petitioning_stopped_rate=85)


def test_four_phases_with_bulletins_and_monthly_reports(driver: Driver) -> None:
    d = driver
    d.start("backlog_campaign", START)
    assert d.task("publish_campaign_plan").lane == "leading_group"
    d.complete("publish_campaign_plan", leading_group_members="书记、镇长", campaign_plan_ref="doc:p",
               target_resolve_rate=90, target_petitioning_stopped_rate=85)
    d.advance(days=14)  # mobilise window ends 15 Mar
    assert d.ready() == ["organise_screening", "register_ledger"]
    d.complete("organise_screening", screened_units="12个村社区", screened_petition_count=140)
    d.complete("register_ledger", ledger_case_count=23, ledger_ref="doc:l")
    d.advance(days=16)  # investigate window ends 31 Mar
    d.complete("assign_ledger_cases", assigned_case_count=23, assignment_letter_ref="doc:a")
    bulletins, reports = [], []
    while d.clock() < datetime(2026, 6, 1, tzinfo=UTC):
        d.advance(days=1)
        for element in d.ready():
            if element == "write_weekly_bulletin":
                bulletins.append(d.complete(element, bulletin_progress="进展"))
            elif element == "write_monthly_report":
                reports.append(d.complete(element, monthly_resolved_count=5, monthly_overdue_count=1,
                                          monthly_report_ref="doc:m"))
    assert len(bulletins) >= 2 and all(t.candidate_groups == ["supervisor"] for t in bulletins)
    assert len(reports) == 2
    assert [t.due_at.astimezone(UTC).day for t in reports] == [20, 20]
    assert d.ready() == ["rebound_check", "sample_closed_cases"]
    d.complete("sample_closed_cases", sampled_case_count=5, sample_failed_count=0)
    d.complete("rebound_check", revisited_case_count=23, rebound_case_count=1)
    d.complete("write_summary_report", resolved_case_count=22, resolve_rate=95, petitioning_stopped_rate=90,
               summary_report_ref="doc:s")
    assert d.status() == "completed"
