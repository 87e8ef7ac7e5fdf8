"""The petition path's top level: the nine stages a clerk knows, their outcomes, and the data
that the deadline clock beside them changes while a stage runs."""

from __future__ import annotations

from datetime import UTC, datetime

from lxml import etree

from engine.deploy import element_metadata
from tests.conftest import PROCESSES
from tests.processes.conftest import LANES, Driver
from tests.processes.test_petition_case import (
    REGISTER,
    SIGN_OFF,
    SIX,
    inquiry_and_plan,
    look_listen_ask,
    reply,
    solved_and_satisfied,
    to_handling,
)

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NS = {"bpmn": BPMN}
STAGES = {
    "stage_register": "登记受理", "stage_triage": "研判包案", "stage_field_work": "一看二听三问",
    "stage_inquiry": "调查研判", "stage_resolve": "化解处理", "stage_reply": "答复",
    "stage_closing": "结案验收", "stage_follow_up": "回访", "stage_review": "复查复核",
}


def _diagram() -> etree._ElementTree:
    return etree.parse(str(PROCESSES / "petition_case.bpmn"))


def test_the_top_level_is_the_nine_stages_and_the_clock_beside_them() -> None:
    process = _diagram().find("bpmn:process", NS)
    subs = {s.get("id"): s.get("name") for s in process.findall("bpmn:subProcess", NS)}
    assert subs == {**STAGES, "deadline_watch": subs["deadline_watch"]}
    # Nobody works a task at the top level: every person's task sits inside a stage or the clock.
    assert process.findall("bpmn:userTask", NS) == []
    for stage in process.findall("bpmn:subProcess", NS):
        doc = stage.findtext("bpmn:documentation", namespaces=NS) or ""
        assert len(doc) > 20, f"{stage.get('id')} tells people what happens in it"


def test_no_flow_crosses_a_stage_border_and_every_stage_is_drawn() -> None:
    tree = _diagram()
    for container in tree.iter(f"{{{BPMN}}}process", f"{{{BPMN}}}subProcess"):
        own = {n.get("id") for n in container if isinstance(n.tag, str) and n.get("id")}
        for flow in container.findall("bpmn:sequenceFlow", NS):
            assert {flow.get("sourceRef"), flow.get("targetRef")} <= own, flow.get("id")
    planes = {p.get("bpmnElement") for p in tree.iter("{http://www.omg.org/spec/BPMN/20100524/DI}BPMNPlane")}
    assert set(STAGES) <= planes


def test_every_persons_task_resolves_to_a_lane_of_a_role() -> None:
    meta = element_metadata(_diagram().getroot())
    people = {k: v for k, v in meta.items() if v["type"] == "userTask"}
    assert len(people) == 57
    assert {k: v.get("lane") for k, v in people.items() if v.get("lane") not in LANES} == {}
    # inside a stage the lane is the role that acts there
    assert meta["site_visit"]["lane"] == "case_handler" and meta["approve_case_plan"]["lane"] == "case_leader"
    assert meta["sign_off_case"]["lane"] == "supervisor" and meta["check_acceptance"]["lane"] == "intake_clerk"


def _stages(d: Driver) -> tuple[set[str], set[str]]:
    live = d.snapshots[-1]
    return set(live.active) & set(STAGES), set(live.completed) & set(STAGES)


def test_the_case_moves_stage_by_stage(driver: Driver) -> None:
    d = driver
    d.start("petition_case")
    assert _stages(d) == ({"stage_register"}, set())
    d.complete("register_petition", **REGISTER)
    d.complete("check_acceptance", accept_decision="accepted")
    assert _stages(d) == ({"stage_triage"}, {"stage_register"})
    assert d.data()["register_outcome"] == "accepted"
    d.complete("confirm_risk_colour", risk_override=False)
    d.complete("assign_case_leader", case_leader="wang", case_handler="li", working_team="专班",
               resolution_plan="方案", stability_measures="稳控")
    assert _stages(d)[0] == {"stage_field_work"} and "deadline_watch" in d.snapshots[-1].active
    look_listen_ask(d)
    assert _stages(d)[0] == {"stage_inquiry"}
    inquiry_and_plan(d)
    assert _stages(d)[0] == {"stage_resolve"}
    d.complete("solve_demand", solution_record="已解决")
    assert _stages(d)[0] == {"stage_reply"}
    reply(d)
    # after the reply, 结案验收 and 复查复核 run side by side
    assert _stages(d)[0] == {"stage_closing", "stage_review"}
    d.complete("assess_satisfaction", facts_clear=False, problem_solved=True,
               petitioner_satisfaction="basically_satisfied")
    # facts unclear: 结案验收 ends with its outcome and the top level routes back to 调查研判
    assert d.data()["closing_outcome"] == "return_to_inquiry"
    assert _stages(d)[0] == {"stage_inquiry", "stage_review"}


def test_an_extension_granted_while_a_stage_runs_survives_that_stages_end(driver: Driver) -> None:
    d = driver
    to_handling(d)
    assert _stages(d)[0] == {"stage_field_work"}
    d.complete("request_extension", extension_reason="需补充证据", extension_days=30)
    d.complete("approve_extension", extension_approved=True, approved_extension_days=30,
               extension_approval_note="同意")
    d.complete("notify_extension", extension_notice_ref="doc:e")
    d.complete("re_rate_case", new_risk_colour="red", new_case_class="C", re_rating_reason="又有聚集苗头")
    extended = {k: d.data()[k] for k in ("extended_deadline", "reply_deadline", "risk_colour")}
    assert extended["extended_deadline"] and extended["risk_colour"] == "red"
    look_listen_ask(d)  # 一看二听三问 ends, with its own (older) copy of the case data
    assert "stage_field_work" in d.snapshots[-1].completed
    assert {k: d.data()[k] for k in extended} == extended
    inquiry_and_plan(d)
    # the handling steps of the next stages are due by the extended deadline (Labour Day moved it)
    assert d.task("solve_demand").due_at == datetime(2026, 6, 5, 1, tzinfo=UTC)
    d.advance(days=66)  # past the original 60 days: the clock reads the extension, no escalation
    assert "escalate_handling_overdue" not in d.ready()
    solved_and_satisfied(d)
    d.complete("compile_dossier", **SIX)
    d.complete("sign_off_case", **SIGN_OFF)
    assert {k: d.data()[k] for k in ("extended_deadline", "risk_colour")} == {
        k: extended[k] for k in ("extended_deadline", "risk_colour")}
    assert d.data()["closing_outcome"] == "closed" and _stages(d)[0] >= {"stage_follow_up"}


def _boxes(plane: etree._Element, skip: set[str]) -> list[tuple[str, list[float]]]:
    di = "{http://www.omg.org/spec/BPMN/20100524/DI}"
    dc = "{http://www.omg.org/spec/DD/20100524/DC}"
    found = []
    for shape in plane.iter(f"{di}BPMNShape"):
        ident = shape.get("bpmnElement")
        if ident in skip:
            continue
        label = shape.find(f"{di}BPMNLabel/{dc}Bounds")
        for bounds, name in ((shape.find(f"{dc}Bounds"), ident), (label, f"{ident}#label")):
            if bounds is not None:
                found.append((name, [float(bounds.get(k)) for k in ("x", "y", "width", "height")]))
    return found


def test_the_top_level_and_each_stage_are_drawn_without_overlaps() -> None:
    tree = _diagram()
    attached = {b.get("id"): b.get("attachedToRef") for b in tree.iter(f"{{{BPMN}}}boundaryEvent")}
    pools = {e.get("id") for e in tree.iter(f"{{{BPMN}}}lane", f"{{{BPMN}}}participant")}
    for plane in tree.iter("{http://www.omg.org/spec/BPMN/20100524/DI}BPMNPlane"):
        if plane.get("bpmnElement") not in {*STAGES, "petition_case_collaboration"}:
            continue
        boxes = _boxes(plane, pools)
        overlaps = []
        for i, (a, ab) in enumerate(boxes):
            for b, bb in boxes[i + 1:]:
                a_el, b_el = a.split("#")[0], b.split("#")[0]
                if a_el == b_el or attached.get(a_el) == b_el or attached.get(b_el) == a_el:
                    continue  # a shape and its own label, a boundary event on its task
                if ab[0] < bb[0] + bb[2] and bb[0] < ab[0] + ab[2] and ab[1] < bb[1] + bb[3] and bb[1] < ab[1] + ab[3]:
                    overlaps.append((a, b))
        assert overlaps == [], plane.get("bpmnElement")
