"""engine/reports.py and report_figures.py: a campaign's weekly bulletins and monthly report,
generated when the campaign's timers bring their tasks, on cases built by hand."""

from __future__ import annotations

from datetime import UTC, datetime

from engine import MONTHLY, PUBLISHED, WEEKLY, FakeClock, task_values
from tests.conftest import EngineWith
from tests.engine.ledger_cases import add_case, campaign_in_resolve_phase


def test_bulletins_name_late_cases_by_leader_and_count_progress(engine_with: EngineWith, clock: FakeClock) -> None:
    d = campaign_in_resolve_phase(engine_with, clock)
    e = d.engine
    late = add_case(e, "J-1", due_in_days=3, case_leader="wang", risk_colour="red", named_in_bulletin=True)
    add_case(e, "J-2", due_in_days=4, case_leader="wang")
    near = add_case(e, "J-3", due_in_days=8.5, case_leader="zhao", subject="organisation_personnel")
    add_case(e, "J-4", due_in_days=60, case_leader="zhao", subject="other", case_class="A",
             petitioning_stopped=True, case_closed_at="2026-04-01T10:00:00+08:00")  # closed, resolved, stopped
    add_case(e, "L-1", due_in_days=1, subject="litigation", case_leader=None)  # not a backlog case: out of the 统计表
    add_case(e, "Z-1", due_in_days=1, campaign_id="another")  # another campaign's case
    assert e.reports.list(campaign_id="c-2026") == []

    d.advance(days=7)  # the weekly timer brings the first bulletin; it is generated at once
    task = d.task("write_weekly_bulletin")
    [first] = e.reports.list(campaign_id="c-2026")
    assert (first.kind, first.task_id, first.status) == (WEEKLY, task.id, "draft")
    assert first.label == "2026年第15周"  # 8 April 2026, Beijing time
    c = first.content
    assert c["totals"] == {"cases": 5, "closed": 1, "resolved": 1, "petitioning_stopped": 1, "overdue": 3,
                           "near_due": 1, "named": 1}
    overdue = {g["leader"]: [x["business_key"] for x in g["cases"]] for g in c["overdue_by_leader"]}
    assert overdue == {"wang": ["J-1", "J-2"], None: ["L-1"]}
    assert c["overdue_by_leader"][0]["cases"][0]["days"] == 4  # J-1 due on the 4th, now the 8th
    assert [x["instance_id"] for g in c["near_due_by_leader"] for x in g["cases"]] == [near]
    assert [x["instance_id"] for x in c["named"]] == [late]
    table = {row["category"]: row for row in c["statistics"]}
    assert (table["livelihood"]["cases"], table["livelihood"]["overdue"]) == (2, 2)
    assert table["organisation_personnel"]["cases"] == 1
    assert (table["legacy"]["resolved"], table["legacy"]["resolve_rate"]) == (1, 100.0)
    assert (table["total"]["cases"], table["total"]["resolve_rate"]) == (4, 25.0), "litigation stays out"
    assert c["rates"]["resolve_rate"] == {"label": "化解率", "numerator": 1, "denominator": 4, "value": 25.0}
    assert c["progress"]["counts"]["cases"] == {"before": None, "now": 5, "change": None}

    # The supervisor publishes it by completing the task; the values come from the report.
    e.reports.save_remarks(first.id, "王某包案的两件本周内办结。")
    values = task_values(e.reports.get(first.id))
    assert "超期3件" in values["bulletin_progress"] and "王某包案" in values["bulletin_progress"]
    assert values["overdue_cases_named"] == "J-1、J-2、L-1"
    e.complete(task.id, values, actor="duan")
    published = e.reports.get(first.id)
    assert (published.status, published.published_by) == (PUBLISHED, "duan")
    assert e.reports.save_remarks(first.id, "改").remarks == "王某包案的两件本周内办结。", "published stays"

    # A week on: J-2 resolved; the next bulletin compares with the first.
    j2 = next(t for t in e.tasks(instance_id=late + 1))
    e.complete(j2.id, {"case_closed_at": clock().isoformat()}, actor="li")
    d.advance(days=7)
    second = e.reports.list(campaign_id="c-2026", kind=WEEKLY)[0]
    assert second.label == "2026年第16周" and second.period_start == first.period_end
    counts = second.content["progress"]["counts"]
    assert counts["closed"] == {"before": 1, "now": 2, "change": 1}
    assert counts["resolved"] == {"before": 1, "now": 2, "change": 1}
    assert [x["business_key"] for x in second.content["progress"]["newly_closed"]] == ["J-2"]


def test_the_monthly_report_is_labelled_with_its_month_and_lists_every_case(
        engine_with: EngineWith, clock: FakeClock) -> None:
    d = campaign_in_resolve_phase(engine_with, clock)
    e = d.engine
    m1 = add_case(e, "M-1", due_in_days=20, handling_class="solve")
    add_case(e, "M-2", due_in_days=5, case_class="A", case_closed_at="2026-04-02T10:00:00+08:00")
    clock.set(datetime(2026, 4, 16, 2, tzinfo=UTC))  # the monthly timer opens 5 days before the 20th
    e.fire_due_timers()
    task = d.task("write_monthly_report")
    report = e.reports.for_task(task.id)
    assert report is not None and (report.kind, report.label) == (MONTHLY, "2026年4月")
    assert [(x["business_key"], x["handling_class"], x["situation"]) for x in report.content["cases"]] == [
        ("M-1", "solve", "化解"), ("M-2", None, "化解")]
    assert e.reports.for_task(task.id) == report, "generated once"
    assert task_values(report) == {"monthly_resolved_count": 1, "monthly_overdue_count": 1}
    assert e.reports.for_task(e.tasks(instance_id=m1)[0].id) is None, "a case's task brings no report"
