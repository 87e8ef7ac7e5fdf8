"""One petition case walked along the main path of processes/petition_case.bpmn.

Used by the demo (`anjie serve --demo`) to put cases at different stages, and by
bench/engine_bench.py, so both walk the path the shipped diagram really takes.
"""

from __future__ import annotations

from typing import Any

REGISTER: dict[str, Any] = dict(
    received_at="2026-03-02", petition_source="visit", petitioner_names="张某", petitioner_count=1,
    demand="要求解决养殖场征地补偿问题", subject="land_acquisition", backlog_case=True, three_cross=False,
    three_separation=False, collective_petition=False, escalated_petition=False,
    extreme_statement=False, repeat_count=2,
)

#: (element id, form data) from registration to the supervisor's sign-off.
MAIN_PATH: list[tuple[str, dict[str, Any]]] = [
    ("register_petition", REGISTER),
    ("check_acceptance", {"accept_decision": "accepted"}),
    ("confirm_risk_colour", {"risk_override": False}),
    ("assign_case_leader", {"case_leader": "leader", "case_handler": "handler", "working_team": "包案工作专班",
                            "resolution_plan": "一案一策，依法依规补偿", "stability_measures": "专人联系，每周回访"}),
    ("site_visit", {"site_visit_record": "实地查看养殖场及征地范围"}),
    ("hear_petitioner", {"met_face_to_face": True, "petitioner_statement": "诉求属实，要求按标准补偿"}),
    ("consult_elders", {"consulted_people": "老支书、老党员", "elders_opinion": "应予合理补偿"}),
    ("write_inquiry_report", {"inquiry_report_ref": "doc:inquiry", "inquiry_findings": "事实清楚",
                              "investigators_count": 3, "agreeing_count": 3, "hard_case": False}),
    ("draft_case_plan", {"handling_class": "solve", "case_plan": "按标准补偿到位"}),
    ("approve_case_plan", {"plan_approved": True}),
    ("solve_demand", {"solution_record": "补偿款已发放到位"}),
    ("draft_reply", {"reply_text": "书面答复信访人", "reply_ref": "doc:reply"}),
    ("approve_reply", {"reply_approved": True}),
    ("record_reply", {"reply_delivered_on": "2026-03-20"}),
    ("assess_satisfaction", {"facts_clear": True, "problem_solved": True,
                             "petitioner_satisfaction": "satisfied", "petitioning_stopped": True}),
    ("compile_dossier", {k: f"doc:{k}" for k in (
        "dossier_basic_materials", "dossier_ledger_assignment", "dossier_leader_handler_document",
        "dossier_inquiry_report_signed", "dossier_reply_and_visit_records", "dossier_stability_measures")}),
    ("sign_off_case", {"sign_off_result": "accepted", "follow_up_interval_days": 30, "follow_up_times": 2}),
]
