"""Scenarios for processes/petition_case.bpmn, driven through the engine with a test clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from engine import FakeClock
from engine.forms import FormInvalid
from tests.conftest import EngineWith
from tests.processes.conftest import SHIPPED, Driver

BEIJING = ZoneInfo("Asia/Shanghai")

REGISTER: dict[str, Any] = dict(
    received_at="2026-03-02", petition_source="visit", petitioner_names="张某", petitioner_count=1,
    demand="养殖场补偿", subject="land_acquisition", backlog_case=True, three_cross=False,
    three_separation=False, collective_petition=False, escalated_petition=False,
    extreme_statement=False, repeat_count=2,
)
LEADER = dict(case_leader="wang", case_handler="li", working_team="专班", resolution_plan="方案",
              stability_measures="稳控")
SATISFIED = dict(facts_clear=True, problem_solved=True, petitioner_satisfaction="satisfied",
                 petitioning_stopped=True)
#: The six items of the dossier (六有), each a document of the case, and the name a missing one is listed by.
DOSSIER_ITEMS = {
    "dossier_basic_materials": "基本案情材料",
    "dossier_ledger_assignment": "交办案件台账及交办函",
    "dossier_leader_handler_document": "明确包案领导和责任人的文件或纪要",
    "dossier_inquiry_report_signed": "包案领导签字的调查报告及相关材料",
    "dossier_reply_and_visit_records": "书面答复意见及回访记录",
    "dossier_stability_measures": "落实稳控措施的材料",
}
SIX = {k: f"doc:{n}" for n, k in enumerate(DOSSIER_ITEMS, start=1)}
SIGN_OFF = dict(sign_off_result="accepted", follow_up_interval_days=30, follow_up_times=2,
                leader_follow_up_interval_days=90, leader_follow_up_times=1)
STABLE = dict(follow_up_record="稳定", petitioner_state="stable", repeat_petition=False)


def to_handling(d: Driver, **register: Any) -> None:
    d.start("petition_case")
    d.complete("register_petition", **{**REGISTER, **register})
    d.complete("check_acceptance", accept_decision="accepted")
    d.complete("confirm_risk_colour", risk_override=False)
    d.complete("assign_case_leader", **LEADER)


def look_listen_ask(d: Driver) -> None:
    d.complete("site_visit", site_visit_record="看过")
    d.complete("hear_petitioner", met_face_to_face=True, petitioner_statement="诉求")
    d.complete("consult_elders", consulted_people="老支书", elders_opinion="意见")


def inquiry_and_plan(d: Driver, handling_class: str = "solve", hard: bool = False) -> None:
    d.complete("write_inquiry_report", inquiry_report_ref="doc:2", inquiry_findings="事实",
               investigators_count=3, agreeing_count=2, hard_case=hard)
    if hard:
        d.complete("collective_deliberation", deliberation_conclusion="听证")
    plan(d, handling_class)


def plan(d: Driver, handling_class: str = "solve") -> None:
    d.complete("draft_case_plan", handling_class=handling_class, case_plan="一案一策")
    d.complete("approve_case_plan", plan_approved=True)


def solved_and_satisfied(d: Driver) -> None:
    """Solve the demand, reply in writing, and find the petitioner satisfied."""
    d.complete("solve_demand", solution_record="已解决")
    reply(d)
    d.complete("assess_satisfaction", **SATISFIED)


def reply(d: Driver) -> None:
    d.complete("draft_reply", reply_text="答复", reply_ref="doc:3")
    d.complete("approve_reply", reply_approved=True)
    d.complete("record_reply", reply_delivered_on=d.clock().astimezone(BEIJING).date().isoformat())


def to_closed(d: Driver, **sign_off: Any) -> None:
    """A backlog case worked, replied to, its dossier complete and signed off."""
    to_handling(d)
    look_listen_ask(d)
    inquiry_and_plan(d)
    solved_and_satisfied(d)
    d.complete("compile_dossier", **SIX)
    d.complete("sign_off_case", **{**SIGN_OFF, **sign_off})


def test_full_path_with_extension(driver: Driver) -> None:
    d = driver
    d.start("petition_case")
    d.complete("register_petition", **REGISTER)
    # 15 days to decide on acceptance, from the day of receipt.
    assert d.task("check_acceptance").due_at == datetime(2026, 3, 17, tzinfo=UTC)
    d.complete("check_acceptance", accept_decision="accepted")
    d.complete("confirm_risk_colour", risk_override=False)
    d.complete("assign_case_leader", **LEADER)
    assert (d.data()["risk_colour"], d.data()["case_class"]) == ("yellow", "C")
    assert d.ready() == ["consult_elders", "hear_petitioner", "site_visit"]
    hear = d.task("hear_petitioner")
    assert hear.lane == "case_handler" and hear.assignee == "li"
    look_listen_ask(d)
    inquiry_and_plan(d)
    # The extension is a request the leader can make at any time, not only after a warning.
    assert d.task("request_extension").assignee == "wang"
    d.complete("request_extension", extension_reason="需补充证据", extension_days=30)
    # 60 days from acceptance is Friday 1 May, Labour Day: the deadline moves to Wednesday 6 May.
    assert d.task("solve_demand").due_at == datetime(2026, 5, 6, 1, tzinfo=UTC)
    assert d.task("approve_extension").candidate_groups == ["leading_group"]
    d.complete("approve_extension", extension_approved=True, approved_extension_days=30,
               extension_approval_note="同意")
    # The extension moves the open handling task's deadline too, with a history event.
    assert d.task("solve_demand").due_at == datetime(2026, 6, 5, 1, tzinfo=UTC)
    assert any(e.type == "task_due_changed" and e.element_id == "solve_demand"
               for e in d.engine.history(d.instance_id))
    d.complete("notify_extension", extension_notice_ref="doc:e")
    d.advance(days=66)  # past the original deadline and its warning: both moved with the extension
    assert "escalate_handling_overdue" not in d.ready() and "warn_case_leader" not in d.ready()
    # A second request is refused, and the leader is told why.
    d.complete("request_extension", extension_reason="还要", extension_days=10)
    assert "approve_extension" not in d.ready()
    assert d.task("tell_extension_refused").assignee == "wang"
    assert "已申请过一次延期" in d.data()["extension_refused_reason"]
    d.complete("tell_extension_refused")
    d.advance(days=23)  # 7 days before the extended deadline (5 June)
    assert d.task("warn_case_leader").assignee == "wang"
    d.advance(days=7)  # extended deadline passed: the supervisor escalates, work goes on
    assert d.task("escalate_handling_overdue").candidate_groups == ["supervisor"]
    assert d.data()["handling_overdue"] is True
    d.complete("escalate_handling_overdue", escalation_note="督办", named_in_bulletin=True)
    solved_and_satisfied(d)
    d.complete("compile_dossier", **SIX)
    d.complete("sign_off_case", **SIGN_OFF)
    assert d.ready() == [] and d.task("request_review").due_at is not None  # the review window is open
    d.advance(days=31)
    assert d.ready() == ["follow_up_visit"]
    d.complete("follow_up_visit", **STABLE)
    d.advance(days=30)
    d.complete("follow_up_visit", **STABLE)
    assert d.status() == "running"  # the leader's quarterly visit is still to come
    d.advance(days=30)
    visit = d.task("leader_follow_up_visit")
    assert (visit.assignee, visit.candidate_groups) == ("wang", ["case_leader"])
    d.complete("leader_follow_up_visit", **STABLE)
    assert d.status() == "completed"
    assert d.path()[:4] == ["register_petition", "check_acceptance", "confirm_risk_colour", "assign_case_leader"]


def test_not_accepted_with_reminder_and_escalation(driver: Driver) -> None:
    d = driver
    d.start("petition_case")
    d.complete("register_petition", **REGISTER)
    check = d.task("check_acceptance")
    assert check.due_at is not None and check.lane == "intake_clerk"
    d.advance(days=12)
    assert "remind_acceptance" in d.ready()
    d.advance(days=4)
    assert d.task("escalate_accept_overdue").candidate_groups == ["coordinator"]
    d.complete("check_acceptance", accept_decision="not_accepted", not_accepted_reason="应诉讼",
               redirect_channel="court")
    # The decision withdraws the reminder and the escalation nobody worked yet.
    assert d.ready() == ["notify_not_accepted"]
    d.complete("notify_not_accepted", not_accepted_notice_ref="doc:n", notice_delivered_on="2026-03-18")
    assert d.status() == "completed"
    events = d.engine.history(d.instance_id)
    withdrawn = {e.element_id for e in events if e.type == "task_cancelled"}
    assert withdrawn == {"remind_acceptance", "escalate_accept_overdue"}


def test_bounced_twice_by_three_not_closed(driver: Driver) -> None:
    d = driver
    to_handling(d)
    look_listen_ask(d)
    inquiry_and_plan(d)
    d.complete("solve_demand", solution_record="部分")
    reply(d)
    d.complete("assess_satisfaction", facts_clear=True, problem_solved=False, petitioner_satisfaction="unsatisfied")
    assert d.ready() == ["draft_case_plan"]
    plan(d, "educate")
    d.complete("educate_petitioner", reasonable_part_solved="x", education_record="y")
    reply(d)
    d.complete("assess_satisfaction", facts_clear=False, problem_solved=True,
               petitioner_satisfaction="basically_satisfied")
    assert d.ready() == ["write_inquiry_report"]
    inquiry_and_plan(d)
    solved_and_satisfied(d)
    assert d.data()["not_closed_count"] == 2
    assert d.ready() == ["compile_dossier"]


def test_hearing_after_collective_deliberation(driver: Driver) -> None:
    d = driver
    to_handling(d, collective_petition=True, petitioner_count=6, repeat_count=0, subject="labour_social_security")
    assert (d.data()["risk_colour"], d.data()["case_class"]) == ("yellow", "B")
    look_listen_ask(d)
    inquiry_and_plan(d, "hearing", hard=True)
    d.complete("schedule_hearing", hearing_on="2026-04-10", hearing_panel="人大代表、律师")
    d.complete("hold_hearing", hearing_record_ref="doc:h", panel_opinion="部分合理")
    d.complete("record_hearing_conclusion", hearing_conclusion="partly_reasonable", hearing_conclusion_text="x")
    # "Partly reasonable": the reasonable part is solved (and the rest explained) before any reply.
    assert d.ready() == ["educate_petitioner"]
    d.complete("educate_petitioner", reasonable_part_solved="补发合理部分", education_record="解释其余诉求")
    assert d.ready() == ["draft_reply"]
    assert "collective_deliberation" in d.path()


def test_legal_handling_of_fresh_escalated_matter(driver: Driver) -> None:
    d = driver
    to_handling(d, escalated_petition=True, backlog_case=False, repeat_count=0, subject="other")
    assert (d.data()["risk_colour"], d.data()["case_class"]) == ("red", "B")
    feedback = d.task("give_feedback")  # 三周办结: feedback within a week
    assert feedback.due_at is not None
    assert feedback.due_at - d.clock() <= timedelta(days=7)
    d.complete("give_feedback", feedback_record="已反馈")
    look_listen_ask(d)
    inquiry_and_plan(d, "legal")
    d.complete("refer_to_legal_organs", legal_organ="police", legal_basis="缠访闹访")
    assert d.ready() == ["draft_reply"]


@pytest.mark.sqlite_only
@pytest.mark.parametrize("item", list(DOSSIER_ITEMS))
def test_each_missing_dossier_item_alone_blocks_sign_off(driver: Driver, item: str) -> None:
    d = driver
    to_handling(d)  # a backlog case: the assignment letter is needed too
    look_listen_ask(d)
    inquiry_and_plan(d)
    solved_and_satisfied(d)
    d.complete("compile_dossier", **{k: v for k, v in SIX.items() if k != item})
    assert d.ready() == ["compile_dossier"]
    assert d.data()["dossier_missing"] == [DOSSIER_ITEMS[item]]
    d.complete("compile_dossier", **SIX)
    assert d.ready() == ["sign_off_case"] and d.data()["dossier_missing"] == []


def test_supervisor_return_goes_back_to_handling(driver: Driver) -> None:
    d = driver
    to_handling(d)
    look_listen_ask(d)
    inquiry_and_plan(d)
    solved_and_satisfied(d)
    d.complete("compile_dossier", **SIX)
    d.complete("sign_off_case", sign_off_result="returned", return_reason="答复不完整")
    assert d.ready() == ["draft_case_plan"]


def test_repeat_petition_reopens_closed_case(driver: Driver) -> None:
    d = driver
    to_handling(d, backlog_case=False, repeat_count=0, subject="other")
    assert (d.data()["risk_colour"], d.data()["case_class"]) == ("green", "B")
    d.complete("give_feedback", feedback_record="已反馈")
    look_listen_ask(d)
    inquiry_and_plan(d)
    solved_and_satisfied(d)
    # A fresh matter has no assignment letter from above, and does not need one.
    d.complete("compile_dossier", **{k: v for k, v in SIX.items() if k != "dossier_ledger_assignment"})
    d.complete("sign_off_case", **SIGN_OFF)
    d.advance(days=31)
    d.complete("follow_up_visit", follow_up_record="又来了", petitioner_state="petitioning_again",
               repeat_petition=True, repeat_petition_note="又到县信访局上访")
    assert d.ready() == ["confirm_risk_colour"]
    data = d.data()
    assert data["backlog_case"] is True and data["repeat_count"] == 1 and data["reopened_count"] == 1
    with pytest.raises(FormInvalid) as refused:  # an override needs a reason: refused, nothing lost
        d.complete("confirm_risk_colour", risk_override=True, override_risk_colour="red", override_case_class="B",
                   override_reason="")
    assert refused.value.problems["override_reason"].code == "required"
    assert d.ready() == ["confirm_risk_colour"]
    d.complete("confirm_risk_colour", risk_override=True, override_risk_colour="red", override_case_class="B",
               override_reason="情绪激动")
    assert d.data()["risk_colour"] == "red"
    # 一包到底: the reopened case keeps its leader and handler; handling starts again at once.
    assert d.ready() == ["consult_elders", "hear_petitioner", "site_visit"]
    assert d.task("hear_petitioner").assignee == "li"
    assert d.path().count("assign_case_leader") == 1


def test_review_and_second_review(driver: Driver) -> None:
    d = driver
    to_closed(d, follow_up_times=1)
    d.advance(days=10)
    d.complete("request_review", review_requested=True, review_requested_on="2026-03-12")
    assert d.task("review_case").due_at is not None
    d.complete("review_case", review_decision="upheld", review_opinion_ref="doc:r")
    d.advance(days=10)
    d.complete("request_second_review", second_review_requested=True, second_review_requested_on="2026-03-22")
    d.complete("second_review_case", second_review_decision="upheld", second_review_opinion_ref="doc:r2")
    d.advance(days=15)
    d.complete("follow_up_visit", **STABLE)
    d.advance(days=60)
    d.complete("leader_follow_up_visit", **STABLE)
    assert d.status() == "completed"
    assert d.data()["matter_final"] is True


def test_nobody_acts_deadlines_still_fire_and_escalate(driver: Driver) -> None:
    """The leader never opens the warning, the leading group never decides the extension, the
    supervisor never handles the escalation: the clocks still run and escalate."""
    d = driver
    to_handling(d, backlog_case=False, repeat_count=0, subject="other")
    d.complete("request_extension", extension_reason="需鉴定", extension_days=30)
    d.advance(days=59)  # 29 April: seven days before the deadline (6 May)
    assert "warn_case_leader" in d.ready()
    d.advance(days=6)  # 6 May 09:00: deadline reached, warning and extension still undone
    assert {"warn_case_leader", "approve_extension", "escalate_handling_overdue"} <= set(d.ready())
    # Passing the deadline makes the fresh matter a backlog case.
    assert d.data()["handling_overdue"] is True and d.data()["backlog_case"] is True
    d.advance(days=7)  # 13 May: more than five working days, and nobody handled the escalation
    assert d.task("escalate_to_leading_group").candidate_groups == ["leading_group"]
    assert "escalate_handling_overdue" in d.ready()
    d.advance(days=59)  # day 131: nothing more is owed, nothing is lost
    assert d.status() == "running"
    assert {"warn_case_leader", "approve_extension", "escalate_handling_overdue",
            "escalate_to_leading_group"} <= set(d.ready())


def test_three_week_rule_steps_come_due_before_the_reply(driver: Driver) -> None:
    d = driver
    to_handling(d, backlog_case=False, repeat_count=0, subject="other")
    received = datetime(2026, 3, 2, tzinfo=UTC)
    assert d.task("give_feedback").due_at == received + timedelta(days=7)  # feedback in one week
    d.complete("give_feedback", feedback_record="已反馈")
    field_work = max(d.task(e).due_at for e in ("site_visit", "hear_petitioner", "consult_elders"))
    look_listen_ask(d)
    inquiry = d.task("write_inquiry_report").due_at
    d.complete("write_inquiry_report", inquiry_report_ref="doc:2", inquiry_findings="事实",
               investigators_count=3, agreeing_count=2, hard_case=False)
    measures = d.task("draft_case_plan").due_at
    assert measures == received + timedelta(days=14)  # measures in two weeks
    plan(d)
    reply_due = d.task("solve_demand").due_at
    assert reply_due == received + timedelta(days=21)  # reply delivered in three weeks
    assert field_work < inquiry < measures < reply_due


@pytest.mark.sqlite_only
def test_accepted_at_seven_or_nine_beijing_gets_the_same_due_day(engine_with: EngineWith, clock: FakeClock) -> None:
    """07:00 on Monday in Beijing is still Sunday in UTC; working days count on the Beijing date."""
    engine = engine_with(*SHIPPED)
    due_days = []
    for hour_utc in (-1, 1):  # 07:00 and 09:00 Beijing on Monday 2 March 2026
        clock.set(datetime(2026, 3, 2, tzinfo=UTC) + timedelta(hours=hour_utc))
        case = engine.start("petition_case", {}, actor="clerk")
        for element, data in (("register_petition", REGISTER), ("check_acceptance", {"accept_decision": "accepted"})):
            task = next(t for t in engine.tasks(instance_id=case.id) if t.element_id == element)
            engine.complete(task.id, data, actor="clerk")
        confirm = next(t for t in engine.tasks(instance_id=case.id) if t.element_id == "confirm_risk_colour")
        assert confirm.due_at is not None
        due_days.append(confirm.due_at.astimezone(BEIJING).date())
    assert due_days == [date(2026, 3, 4), date(2026, 3, 4)]  # two working days: Wednesday


def test_leader_re_rates_and_calls_collective_deliberation_during_handling(driver: Driver) -> None:
    d = driver
    to_handling(d)
    assert (d.data()["risk_colour"], d.data()["case_class"]) == ("yellow", "C")
    look_listen_ask(d)
    # A serious problem arises before any inquiry report: the leader calls the leading group.
    d.complete("request_collective_deliberation", deliberation_problem="信访人扬言进京")
    assert d.task("hold_collective_deliberation").candidate_groups == ["leading_group"]
    d.complete("hold_collective_deliberation", deliberation_conclusion="专人稳控，依法答复")
    # The case goes better: colour and class re-rated with a reason, recorded in history.
    d.complete("re_rate_case", new_risk_colour="green", new_case_class="B", re_rating_reason="已达成初步协议")
    data = d.data()
    assert (data["risk_colour"], data["case_class"], data["re_rating_count"]) == ("green", "B", 1)
    assert any(e.type == "task_completed" and e.element_id == "re_rate_case" for e in d.engine.history(d.instance_id))
    row = next(r for r in d.engine.queries.ledger().rows if r.instance_id == d.instance_id)
    assert (row.risk_colour, row.case_class) == ("green", "B")  # the ledger shows the current rating
    # Both stay available: the leader can do them again.
    standing = {t.element_id for t in d.engine.tasks(instance_id=d.instance_id)}
    assert {"re_rate_case", "request_collective_deliberation"} <= standing
    inquiry_and_plan(d)
    solved_and_satisfied(d)
    # Handling finished: the requests are withdrawn with the deadline clocks.
    left = {t.element_id for t in d.engine.tasks(instance_id=d.instance_id)}
    assert not left & {"re_rate_case", "request_collective_deliberation", "request_extension"}
    assert d.data()["risk_colour"] == "green"


def test_time_limit_and_leader_duties_are_set_at_assignment(driver: Driver) -> None:
    d = driver
    d.start("petition_case")
    d.complete("register_petition", **REGISTER)
    d.complete("check_acceptance", accept_decision="accepted")
    d.complete("confirm_risk_colour", risk_override=False)
    d.complete("assign_case_leader", **LEADER, case_time_limit_days=45, leader_duty_scheme="four_duties",
               duty_grasp_situation=True, duty_change_thinking=True, duty_solve=True, duty_stop_petitioning=True)
    data = d.data()
    assert data["handling_deadline"] == "2026-04-16T01:00:00+00:00"  # 45 days from Monday 2 March
    assert data["leader_duty_scheme"] == "four_duties" and data["duty_stop_petitioning"] is True
    look_listen_ask(d)
    d.advance(days=39)  # the warning comes seven days before the case's own time limit
    assert d.task("warn_case_leader").due_at == datetime(2026, 4, 16, 1, tzinfo=UTC)


def test_clerk_records_a_repeat_petition_at_any_time_after_closing(driver: Driver) -> None:
    d = driver
    to_closed(d)
    d.advance(days=5)  # before any scheduled visit
    assert d.task("record_repeat_petition").candidate_groups == ["intake_clerk"]
    d.complete("record_repeat_petition", repeat_petition_note="又到县信访局上访", repeat_petition_on="2026-03-07")
    data = d.data()
    assert data["backlog_case"] is True and data["repeat_count"] == 3 and data["reopened_count"] == 1
    assert d.ready() == ["confirm_risk_colour"]
    # The visits and the review window of the closed round are withdrawn.
    left = {t.element_id for t in d.engine.tasks(instance_id=d.instance_id)}
    assert not {"follow_up_visit", "leader_follow_up_visit", "request_review"} & left


def test_review_window_counts_from_the_delivery_date(driver: Driver) -> None:
    d = driver
    to_handling(d)
    look_listen_ask(d)
    inquiry_and_plan(d)
    d.complete("solve_demand", solution_record="已解决")
    d.complete("draft_reply", reply_text="答复", reply_ref="doc:3")
    d.complete("approve_reply", reply_approved=True)
    d.clock.set(datetime(2026, 3, 5, 2, 0, tzinfo=UTC))  # a delivery date is never in the future
    d.complete("record_reply", reply_delivered_on="2026-03-05", reply_receipt_ref="doc:receipt")
    d.complete("assess_satisfaction", **SATISFIED)
    d.complete("compile_dossier", **SIX)
    d.complete("sign_off_case", **SIGN_OFF)
    # Delivered 5 March: the petitioner may ask for review until 4 April, whenever the case closed.
    assert d.task("request_review").due_at == datetime(2026, 4, 4, tzinfo=UTC)


def test_litigation_matter_is_redirected_not_worked_as_backlog(driver: Driver) -> None:
    d = driver
    d.start("petition_case")
    d.complete("register_petition", **{**REGISTER, "subject": "litigation"})
    d.complete("check_acceptance", accept_decision="accepted")
    assert d.ready() == ["notify_not_accepted"]
    assert "risk_colour" not in d.data()


@pytest.mark.sqlite_only
def test_saved_state_reuses_settled_task_text_exactly(driver: Driver, monkeypatch: pytest.MonkeyPatch) -> None:
    """`dump_state` re-encodes only the tasks an operation touched (engine/persistence.py):
    along a whole case, with its sub-process, joins and timers, each state written is the
    workflow encoded anew."""
    from engine import persistence

    written: list[bool] = []
    dump = persistence.dump_state

    def both(workflow: Any) -> str:
        text = dump(workflow)
        written.append(text == persistence.dump_state_uncached(workflow))
        return text

    monkeypatch.setattr(persistence, "dump_state", both)
    to_closed(driver)
    driver.advance(days=31)
    assert len(written) >= 20 and all(written), [i for i, same in enumerate(written) if not same]
