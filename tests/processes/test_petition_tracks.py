"""petition_case: the completion limits of seed 002 (当场办结 / 15 working days / 2 months) and the
acceptance clock that escalates by itself when nobody acts."""

from __future__ import annotations

from datetime import UTC, datetime

from engine import initial_value
from tests.processes.conftest import Driver
from tests.processes.test_petition_case import BEIJING, LEADER, REGISTER

FRESH = {**REGISTER, "backlog_case": False, "repeat_count": 0, "subject": "other"}


def accept(d: Driver, **register: object) -> None:
    d.start("petition_case")
    d.complete("register_petition", **{**FRESH, **register})
    d.complete("check_acceptance", accept_decision="accepted")


def test_simple_matter_is_settled_on_the_spot(driver: Driver) -> None:
    d = driver
    accept(d, handling_track="on_the_spot", petition_source="visit")
    # Short path: no triage, no leader, no deadline watch.
    assert d.ready() == ["settle_on_the_spot"]
    d.complete("settle_on_the_spot", settled_by="镇长", settlement_record="当场协调补发工资")
    today = d.clock().astimezone(BEIJING).date().isoformat()
    d.complete("reply_on_the_spot", reply_text="已当场解决", reply_delivered_on=today)
    assert d.status() == "completed"
    assert d.data()["settled_on_the_spot"] is True
    assert "risk_colour" not in d.data()
    assert d.path() == ["register_petition", "check_acceptance", "settle_on_the_spot", "reply_on_the_spot"]


def test_general_matter_is_due_in_fifteen_working_days(driver: Driver) -> None:
    d = driver
    accept(d, handling_track="general")
    d.complete("confirm_risk_colour", risk_override=False)
    d.complete("assign_case_leader", **LEADER)
    # Accepted Monday 2 March: 15 working days is Monday 23 March (no holiday in between).
    assert d.data()["handling_deadline"] == "2026-03-23T01:00:00+00:00"
    d.advance(days=21)  # 23 March, nobody worked the case: the deadline still fires
    assert d.task("escalate_handling_overdue").candidate_groups == ["supervisor"]
    assert d.data()["handling_overdue"] is True and d.data()["backlog_case"] is True


def test_complex_matter_has_two_months_and_the_reply_waits_for_them(driver: Driver) -> None:
    d = driver
    accept(d, handling_track="complex")
    d.complete("confirm_risk_colour", risk_override=False)
    d.complete("assign_case_leader", **LEADER)
    d.complete("give_feedback", feedback_record="已反馈")  # a fresh matter: feedback within a week still holds
    field_work = d.task("site_visit").due_at
    # 60 days from 2 March is Friday 1 May (Labour Day holiday): the deadline moves to Wednesday 6 May.
    assert d.data()["handling_deadline"] == "2026-05-06T01:00:00+00:00"
    for element, data in (("site_visit", dict(site_visit_record="看过")),
                          ("hear_petitioner", dict(met_face_to_face=True, petitioner_statement="诉求")),
                          ("consult_elders", dict(consulted_people="老支书", elders_opinion="意见"))):
        d.complete(element, **data)
    d.complete("write_inquiry_report", inquiry_report_ref="doc:2", inquiry_findings="事实",
               investigators_count=3, agreeing_count=2, hard_case=False)
    d.complete("draft_case_plan", handling_class="solve", case_plan="一案一策")
    d.complete("approve_case_plan", plan_approved=True)
    reply_due = d.task("solve_demand").due_at
    assert reply_due == datetime(2026, 5, 6, 1, tzinfo=UTC)  # not three weeks: the track's two months
    assert field_work is not None and field_work < reply_due


def test_a_backlog_case_keeps_sixty_days_whatever_track_was_chosen(driver: Driver) -> None:
    d = driver
    accept(d, handling_track="on_the_spot", backlog_case=True)
    assert d.ready() == ["confirm_risk_colour"]  # a backlog case is never settled on the spot
    d.complete("confirm_risk_colour", risk_override=False)
    d.complete("assign_case_leader", **LEADER)
    assert d.data()["handling_deadline"] == "2026-05-06T01:00:00+00:00"


def test_undone_acceptance_escalation_goes_to_the_leading_group(driver: Driver) -> None:
    """Nobody decides on acceptance and nobody handles the escalation: the clock goes on by itself."""
    d = driver
    d.start("petition_case")
    d.complete("register_petition", **REGISTER)  # received Monday 2 March: accept by Tuesday 17 March
    d.advance(days=15)
    assert d.task("escalate_accept_overdue").candidate_groups == ["coordinator"]
    d.advance(days=4)  # 21 March: still fewer than five working days after the deadline
    assert "escalate_accept_to_leading_group" not in d.ready()
    d.advance(days=3)  # Tuesday 24 March: five working days passed, the escalation is undone
    escalation = d.task("escalate_accept_to_leading_group")
    assert escalation.candidate_groups == ["leading_group"]
    assert {"remind_acceptance", "escalate_accept_overdue", "check_acceptance"} <= set(d.ready())
    # The decision withdraws every reminder and escalation nobody worked.
    d.complete("check_acceptance", accept_decision="accepted")
    assert not {"remind_acceptance", "escalate_accept_overdue", "escalate_accept_to_leading_group"} & set(d.ready())
    withdrawn = {e.element_id for e in d.engine.history(d.instance_id) if e.type == "task_cancelled"}
    assert withdrawn == {"remind_acceptance", "escalate_accept_overdue", "escalate_accept_to_leading_group"}


def _triage_track_field(d: Driver) -> object:
    task = d.engine.task(d.task("confirm_risk_colour").id)
    return next(f for f in task.form if f.id == "handling_track")


def test_the_coordinator_changes_the_track_at_triage_and_the_deadlines_follow(driver: Driver) -> None:
    d = driver
    accept(d)  # registered with the track as drawn: by the statutory limits (三周办结 for a fresh matter)
    field = _triage_track_field(d)
    assert initial_value(field, d.data()) == "statutory", "the form starts from the registration's choice"
    assert "on_the_spot" not in dict(field.options), "settling on the spot is decided at registration"
    d.complete("confirm_risk_colour", risk_override=False, handling_track="general")
    data = d.data()
    assert data["handling_track"] == "general"
    # Accepted Monday 2 March: 15 working days is Monday 23 March; the reply is due with it.
    assert data["handling_deadline"] == data["reply_deadline"] == "2026-03-23T01:00:00+00:00"
    d.complete("assign_case_leader", **LEADER)
    # Nobody works the case: the changed deadline fires by itself.
    d.advance(days=20)
    assert "escalate_handling_overdue" not in d.ready()
    d.advance(days=1)
    assert d.task("escalate_handling_overdue").candidate_groups == ["supervisor"]
    assert d.data()["handling_overdue"] is True


def test_a_general_matter_made_complex_at_triage_gets_two_months(driver: Driver) -> None:
    d = driver
    accept(d, handling_track="general")
    assert initial_value(_triage_track_field(d), d.data()) == "general"
    d.complete("confirm_risk_colour", risk_override=False, handling_track="complex")
    d.complete("assign_case_leader", **LEADER)
    # 60 days from 2 March is Friday 1 May (Labour Day holiday): Wednesday 6 May, not 23 March.
    data = d.data()
    assert data["handling_deadline"] == data["handling_track_deadline"] == "2026-05-06T01:00:00+00:00"
    assert data["field_work_deadline"] < data["handling_deadline"]


def test_leaving_the_track_as_drawn_keeps_the_registrations_choice(driver: Driver) -> None:
    d = driver
    accept(d, handling_track="general")
    d.complete("confirm_risk_colour", risk_override=False)
    assert d.data()["handling_track"] == "general"
    assert d.data()["handling_deadline"] == "2026-03-23T01:00:00+00:00"
