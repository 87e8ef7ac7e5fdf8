"""petition_case: 一包到底 on reopening, 撤销重办 after review, and finality after 复核
(不登记、不受理、不交办, counselled, counted, with the reason)."""

from __future__ import annotations

from engine import LedgerFilter
from tests.processes.conftest import Driver
from tests.processes.test_petition_case import (
    REGISTER,
    SATISFIED,
    SIGN_OFF,
    SIX,
    STABLE,
    inquiry_and_plan,
    look_listen_ask,
    reply,
    to_closed,
    to_handling,
)

FINAL_REASON = "该事项已经复查、复核终结，依规定不再登记、不受理、不交办，已对信访人做好疏导。"


def reviewed_to_final(d: Driver) -> None:
    to_closed(d, follow_up_times=1)
    d.advance(days=10)
    d.complete("request_review", review_requested=True, review_requested_on="2026-03-12")
    d.complete("review_case", review_decision="upheld", review_opinion_ref="doc:r")
    d.advance(days=10)
    d.complete("request_second_review", second_review_requested=True, second_review_requested_on="2026-03-22")
    d.complete("second_review_case", second_review_decision="upheld", second_review_opinion_ref="doc:r2")
    assert d.data()["matter_final"] is True


def test_review_that_revokes_the_answer_sends_the_case_back_to_handling(driver: Driver) -> None:
    d = driver
    to_closed(d)
    d.advance(days=10)
    d.complete("request_review", review_requested=True, review_requested_on="2026-03-12")
    d.complete("review_case", review_decision="revoked", review_opinion_ref="doc:r")
    # The closed round is withdrawn (visits, repeat petitions) and the case is handled again.
    assert d.ready() == ["confirm_risk_colour"]
    assert d.data()["review_revoked_count"] == 1 and d.data()["reopened_count"] == 1
    d.complete("confirm_risk_colour", risk_override=False)
    # The same leader and handler work it again (一包到底), on a new handling clock.
    assert d.ready() == ["consult_elders", "hear_petitioner", "site_visit"]
    assert d.task("site_visit").assignee == "li"
    assert d.task("request_extension").assignee == "wang"


def test_repeat_petition_on_a_final_matter_is_counselled_not_reopened(driver: Driver) -> None:
    d = driver
    reviewed_to_final(d)
    d.complete("record_repeat_petition", repeat_petition_note="又到县信访局上访", repeat_petition_on="2026-03-22")
    counsel = d.task("counsel_final_petitioner")
    assert counsel.candidate_groups == ["intake_clerk"]
    d.complete("counsel_final_petitioner", counselling_record="解释复核终结意见，劝其息访")
    data = d.data()
    assert data["final_petition_count"] == 1 and data["not_accepted_as_final"] is True
    assert data["final_petition_reason"] == FINAL_REASON
    assert data["reopened_count"] == 0 and "confirm_risk_colour" not in d.ready()
    # The visits still go on, and the case ends when they are done.
    d.advance(days=15)
    d.complete("follow_up_visit", **STABLE)
    d.advance(days=60)
    d.complete("leader_follow_up_visit", **STABLE)
    assert d.status() == "completed"


def test_new_petition_on_a_matter_already_final_is_not_accepted(driver: Driver) -> None:
    d = driver
    d.start("petition_case")
    d.complete("register_petition", **{**REGISTER, "matter_already_final": True})
    assert d.ready() == ["counsel_on_final_matter"]  # no acceptance check, no assignment
    d.complete("counsel_on_final_matter", counselling_record="做好解释疏导")
    assert d.status() == "completed"
    data = d.data()
    assert data["not_accepted_as_final"] is True and data["final_petition_count"] == 1
    assert data["final_petition_reason"] == FINAL_REASON
    assert "accept_deadline" not in data


def test_leading_group_reassigns_the_leader_with_a_reason(driver: Driver) -> None:
    d = driver
    to_handling(d)
    reassign = d.task("reassign_case_leader")
    assert reassign.candidate_groups == ["leading_group"]
    d.complete("reassign_case_leader", case_leader="zhao", reassignment_reason="原包案领导工作调动")
    assert d.data()["case_leader"] == "zhao" and d.data()["leader_reassigned_count"] == 1
    look_listen_ask(d)
    d.complete("write_inquiry_report", inquiry_report_ref="doc:2", inquiry_findings="事实",
               investigators_count=3, agreeing_count=2, hard_case=False)
    d.complete("draft_case_plan", handling_class="solve", case_plan="一案一策")
    assert d.task("approve_case_plan").assignee == "zhao"


def test_review_can_be_requested_right_after_the_reply_whatever_the_sign_off(driver: Driver) -> None:
    d = driver
    to_handling(d)
    look_listen_ask(d)
    inquiry_and_plan(d)
    d.complete("solve_demand", solution_record="已解决")
    reply(d)
    # Before the satisfaction check, the dossier or the sign-off: the petitioner asks for review.
    assert d.task("request_review").candidate_groups == ["coordinator"]
    d.complete("request_review", review_requested=True, review_requested_on="2026-03-02")
    review = d.task("review_case")
    assert review.due_at is not None and review.due_at.date().isoformat() == "2026-04-01"  # decided in 30 days
    d.complete("review_case", review_decision="upheld", review_opinion_ref="doc:r")
    assert d.task("request_second_review").due_at is not None
    # The internal path goes on beside it.
    d.complete("assess_satisfaction", **SATISFIED)
    assert d.ready() == ["compile_dossier", "request_second_review"]


def test_nobody_asks_for_review_the_window_closes_by_itself(driver: Driver) -> None:
    d = driver
    to_closed(d, follow_up_times=1, leader_follow_up_times=1)
    d.advance(days=31)
    left = {t.element_id for t in d.engine.tasks(instance_id=d.instance_id)}
    assert "request_review" not in left
    d.complete("follow_up_visit", **STABLE)
    d.advance(days=60)
    d.complete("leader_follow_up_visit", **STABLE)
    assert d.status() == "completed"


def test_repeat_petition_while_the_case_is_handled_is_counted(driver: Driver) -> None:
    d = driver
    to_handling(d, backlog_case=False, repeat_count=0, subject="other")
    assert d.task("record_repeat_during_handling").candidate_groups == ["intake_clerk"]
    d.complete("record_repeat_during_handling", repeat_petition_note="又到县里上访", repeat_petition_on="2026-03-02")
    data = d.data()
    assert data["repeat_count"] == 1 and data["backlog_case"] is True
    assert "record_repeat_during_handling" in {t.element_id for t in d.engine.tasks(instance_id=d.instance_id)}
    d.complete("give_feedback", feedback_record="已反馈")
    look_listen_ask(d)
    assert d.data()["repeat_count"] == 1  # other branches' work keeps the count


def test_revocation_before_sign_off_sends_the_case_back_at_sign_off(driver: Driver) -> None:
    d = driver
    to_handling(d)
    look_listen_ask(d)
    inquiry_and_plan(d)
    d.complete("solve_demand", solution_record="已解决")
    reply(d)
    d.complete("request_review", review_requested=True, review_requested_on="2026-03-02")
    d.complete("review_case", review_decision="revoked", review_opinion_ref="doc:r")
    d.complete("assess_satisfaction", **SATISFIED)
    d.complete("compile_dossier", **SIX)
    d.complete("sign_off_case", **SIGN_OFF)
    # Not closed: the revoked answer is handled again, by the same leader.
    assert d.ready() == ["confirm_risk_colour"]
    assert d.data()["review_revoked_count"] == 1 and "case_closed_at" not in d.data()


def refused_as_final_at_registration(d: Driver) -> int:
    """A new petition on a matter already final, registered and counselled (not the driver's case)."""
    case = d.engine.start("petition_case", {}, actor="clerk")
    for element, data in (("register_petition", {**REGISTER, "matter_already_final": True}),
                          ("counsel_on_final_matter", {"counselling_record": "做好解释疏导"})):
        task = next(t for t in d.engine.tasks(instance_id=case.id) if t.element_id == element)
        d.engine.complete(task.id, data, actor="clerk")
    return case.id


def test_the_ledger_counts_and_filters_petitions_refused_as_final(driver: Driver) -> None:
    d = driver
    refused = refused_as_final_at_registration(d)
    running = d.engine.start("petition_case", {}, actor="clerk").id
    reviewed_to_final(d)
    d.complete("record_repeat_petition", repeat_petition_note="又到县信访局上访", repeat_petition_on="2026-03-22")
    d.complete("counsel_final_petitioner", counselling_record="解释复核终结意见，劝其息访")
    queries = d.engine.queries
    ledger = queries.ledger()
    assert ledger.total == 3 and ledger.final_petitions == 2
    counts = {r.instance_id: r.final_petitions for r in ledger.rows}
    assert counts == {refused: 1, running: 0, d.instance_id: 1}
    finals = queries.ledger(LedgerFilter(final_petitions=True))
    assert {r.instance_id for r in finals.rows} == {refused, d.instance_id} and finals.final_petitions == 2
    ended = queries.ledger(LedgerFilter(final_petitions=True, status="completed"))
    assert [r.instance_id for r in ended.rows] == [refused] and ended.final_petitions == 1
