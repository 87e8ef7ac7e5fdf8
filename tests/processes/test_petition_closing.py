"""petition_case after the reply: 程序性办结 with the leading group's approval, a cap on 不结案
rounds, the public hearing's conclusions, and the supervisor's return to the step that fixes it."""

from __future__ import annotations

import pytest

from tests.processes.conftest import Driver
from tests.processes.test_petition_case import (
    SIX,
    inquiry_and_plan,
    look_listen_ask,
    plan,
    reply,
    solved_and_satisfied,
    to_handling,
)

UNSOLVED = dict(facts_clear=True, problem_solved=False, petitioner_satisfaction="unsatisfied")


def worked_and_replied(d: Driver) -> None:
    to_handling(d)
    look_listen_ask(d)
    inquiry_and_plan(d)
    d.complete("solve_demand", solution_record="已依政策补偿")
    reply(d)


def test_lawful_handling_but_unsatisfied_is_closed_by_procedure(driver: Driver) -> None:
    d = driver
    worked_and_replied(d)
    d.complete("assess_satisfaction", facts_clear=True, problem_solved=True, petitioner_satisfaction="unsatisfied")
    decide = d.task("decide_procedural_closure")
    assert decide.candidate_groups == ["leading_group"]
    d.complete("decide_procedural_closure", procedural_closure_approved=True,
               procedural_closure_reason="已依法依政策处理到位，诉求超出政策")
    assert d.data()["closed_by_procedure"] is True
    # The petitioner is told of the right to review, then the dossier is compiled as for any closing.
    assert d.task("tell_review_right").assignee == "li"
    d.complete("tell_review_right", review_right_notice_ref="doc:notice")
    assert d.ready() == ["compile_dossier"]
    assert d.data()["not_closed_count"] == 1


def test_leading_group_may_refuse_procedural_closure_with_a_reason(driver: Driver) -> None:
    d = driver
    worked_and_replied(d)
    d.complete("assess_satisfaction", facts_clear=True, problem_solved=True, petitioner_satisfaction="unsatisfied")
    d.complete("decide_procedural_closure", procedural_closure_reason="还可再做工作")
    assert d.ready() == ["draft_case_plan"]
    assert "closed_by_procedure" not in d.data()
    assert d.data()["procedural_closure_reason"] == "还可再做工作"


def test_no_case_loops_for_ever(driver: Driver) -> None:
    """After three 不结案 rounds the next one goes to the leading group, not back to handling."""
    d = driver
    worked_and_replied(d)
    for _round in range(2):
        d.complete("assess_satisfaction", **UNSOLVED)
        assert d.ready() == ["draft_case_plan"]
        plan(d)
        d.complete("solve_demand", solution_record="部分")
        reply(d)
    d.complete("assess_satisfaction", facts_clear=False, problem_solved=False, petitioner_satisfaction="unsatisfied")
    assert d.data()["not_closed_count"] == 3
    assert d.ready() == ["decide_procedural_closure"]


@pytest.mark.parametrize(("conclusion", "next_step"), [
    ("reasonable", "solve_demand"), ("partly_reasonable", "educate_petitioner"), ("unreasonable", "draft_reply")])
def test_hearing_conclusion_decides_the_next_step(driver: Driver, conclusion: str, next_step: str) -> None:
    d = driver
    to_handling(d)
    look_listen_ask(d)
    inquiry_and_plan(d, "hearing")
    d.complete("schedule_hearing", hearing_on="2026-04-10", hearing_panel="人大代表、律师")
    d.complete("hold_hearing", hearing_record_ref="doc:h", panel_opinion="意见")
    d.complete("record_hearing_conclusion", hearing_conclusion=conclusion, hearing_conclusion_text="x")
    assert d.ready() == [next_step]


@pytest.mark.parametrize(("return_to", "next_step"), [
    ("dossier", "compile_dossier"), ("reply", "draft_reply"), ("inquiry", "write_inquiry_report"),
    ("plan", "draft_case_plan")])
def test_supervisor_returns_to_the_step_that_fixes_it(driver: Driver, return_to: str, next_step: str) -> None:
    d = driver
    to_handling(d)
    look_listen_ask(d)
    inquiry_and_plan(d)
    solved_and_satisfied(d)
    d.complete("compile_dossier", **SIX)
    d.complete("sign_off_case", sign_off_result="returned", return_to=return_to, return_reason="需补正")
    assert d.ready() == [next_step]



def test_measures_combine_and_the_reply_waits_for_all_of_them(driver: Driver) -> None:
    """四个一批: the plan's main method plus the measures ticked beside it, all before the reply."""
    d = driver
    to_handling(d)
    look_listen_ask(d)
    d.complete("write_inquiry_report", inquiry_report_ref="doc:2", inquiry_findings="事实",
               investigators_count=3, agreeing_count=2, hard_case=False)
    d.complete("draft_case_plan", handling_class="solve", case_plan="补偿到位，同时心理疏导、律师释法",
               also_psychological_counselling=True, also_legal_aid=True)
    d.complete("approve_case_plan", plan_approved=True)
    assert d.ready() == ["arrange_legal_aid", "counsel_psychologically", "solve_demand"]
    d.complete("solve_demand", solution_record="已补偿")
    d.complete("counsel_psychologically", psychological_counselling_record="两次疏导")
    assert d.ready() == ["arrange_legal_aid"]  # the reply waits for every measure
    d.complete("arrange_legal_aid", legal_aid_record="律师释法")
    assert d.ready() == ["draft_reply"]


def test_leader_reception_is_the_leaders_own_task(driver: Driver) -> None:
    d = driver
    to_handling(d)
    look_listen_ask(d)
    d.complete("write_inquiry_report", inquiry_report_ref="doc:2", inquiry_findings="事实",
               investigators_count=3, agreeing_count=2, hard_case=False)
    d.complete("draft_case_plan", handling_class="educate", case_plan="教育疏导，领导接访",
               also_leader_reception=True)
    d.complete("approve_case_plan", plan_approved=True)
    assert d.task("leader_receives_petitioner").assignee == "wang"
    assert d.ready() == ["educate_petitioner", "leader_receives_petitioner"]
