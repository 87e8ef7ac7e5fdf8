"""The designer's journey on the shipped petition_case, in headless Chromium: open it, add a user
task and give it a form field in the properties panel, see the linter flag the task while it is
unconnected, connect it, deploy version N+1; a new case starts on N+1 while an old case is moved
over and completes through the new step; a server-side error is drawn on its element and nothing
is deployed; the decision table's test box gives the colour."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine import Engine, FakeClock, InstanceStatus
from tests.browser.pages import open_designer, signed_in, three_repeats_make_a_case_red
from tests.processes.conftest import SHIPPED, Driver
from tests.processes.test_petition_case import (
    SIGN_OFF,
    SIX,
    STABLE,
    inquiry_and_plan,
    look_listen_ask,
    to_handling,
)

# Drills into 答复 and draws a user task beside draft_reply in its lane, not yet connected, and selects it.
DRAW_TASK = """() => {
  const m = window.anjieModeler, registry = m.get('elementRegistry');
  const stage = registry.get('stage_reply_plane');
  m.get('canvas').setRootElement(stage);
  const near = registry.get('draft_reply');
  const shape = m.get('elementFactory').createShape({type: 'bpmn:UserTask'});
  m.get('modeling').createShape(shape, {x: near.x + near.width / 2, y: near.y + near.height + 70}, stage);
  m.get('modeling').updateProperties(shape, {id: 'check_reply', name: '核查答复'});
  m.get('selection').select(shape);
}"""
# Puts the new task between draft_reply and approve_reply.
CONNECT_TASK = """() => {
  const m = window.anjieModeler, modeling = m.get('modeling'), registry = m.get('elementRegistry');
  const task = registry.get('check_reply');
  modeling.reconnectEnd(registry.get('flow_draft_reply_to_approve_reply'), task,
                        {x: task.x, y: task.y + task.height / 2});
  modeling.connect(task, registry.get('approve_reply'));
}"""
ISSUES = "(id) => ((window.anjieModeler.get('linting')._issues || {})[id] || []).map(i => i.message)"


class _Office(Driver):
    """The scenario driver of tests/processes on the web app's own engine and clock."""

    def __init__(self, engine: Engine, clock: FakeClock) -> None:  # noqa: D107 - no engine_with here
        self.engine, self.clock, self.save_restore = engine, clock, False
        self.instance_id, self.done, self.snapshots = 0, [], []


def _panel_entry(page: Any, label: str) -> Any:
    """The input or select of the properties panel entry with this label."""
    entry = page.locator(".bio-properties-panel-entry", has=page.locator(f"label:text-is('{label}')")).last
    return entry.locator("input, select, textarea, [contenteditable]").first


@pytest.mark.sqlite_only
def test_designer_changes_the_shipped_petition_case(browser: Any, live_server: str, web_engine: Engine,
                                                    clock: FakeClock, tmp_path: Path) -> None:
    for diagram in SHIPPED:
        web_engine.deploy(diagram, actor="designer")
    office = _Office(web_engine, clock)
    to_handling(office)
    look_listen_ask(office)
    inquiry_and_plan(office)
    old = office.instance_id
    assert office.ready() == ["solve_demand"]
    [before] = [v.version for v in web_engine.designs.versions("petition_case")]

    context, page, errors = signed_in(browser, live_server, "designer")
    try:
        open_designer(page, live_server, "petition_case", before)

        page.evaluate(DRAW_TASK)
        assert page.locator(".bio-properties-panel-header-label").inner_text() == "核查答复"
        # The linter flags the task while it is not connected.
        page.wait_for_function(f"() => ({ISSUES})('check_reply').length > 0")
        assert page.locator(".djs-overlays[data-container-id=check_reply] .bjsl-overlay").count() == 1
        # In the panel: the candidate group, then a generated form with one field.
        page.locator(".bio-properties-panel-group-header", has_text="办理人分配").click()
        _panel_entry(page, "候选组").fill("case_handler")
        form_group = page.locator("[data-group-id=group-CamundaPlatform__Form]")
        assert form_group.locator(".bio-properties-panel-group-header-title").inner_text() == "表单"
        form_group.locator(".bio-properties-panel-group-header").click()
        _panel_entry(page, "类型").select_option("formData")
        fields = page.locator(".bio-properties-panel-group", has=page.locator(
            ".bio-properties-panel-group-header-title", has_text="表单字段"))
        fields.locator(".bio-properties-panel-add-entry").click()
        _panel_entry(page, "编号").fill("check_note")
        _panel_entry(page, "标签").fill("核查意见")
        page.keyboard.press("Tab")
        page.evaluate(CONNECT_TASK)
        page.wait_for_function(f"() => ({ISSUES})('check_reply').length === 0")

        page.click("#designer-check")
        page.wait_for_selector("#designer[data-checked=ok]")
        page.fill("#designer-note", "答复前增加核查")
        page.click("#designer-deploy")
        page.wait_for_url("**/designer/processes/petition_case")
        assert "答复前增加核查" in page.locator("#versions").inner_text()
        after = before + 1
        forms = web_engine.task_forms("petition_case", after)
        assert [(f.id, f.label) for f in forms["check_reply"][1]] == [("check_note", "核查意见")]
        # The diff of the two versions, drawn on the newer diagram: the new task added, its neighbour changed.
        page.goto(live_server + f"/designer/processes/petition_case/diff?from={before}&to={after}")
        page.wait_for_selector("g.djs-element.anjie-added[data-element-id=check_reply]")
        assert page.locator("g.djs-element.anjie-changed[data-element-id=draft_reply]").count() == 1
        assert "check_reply" in page.locator("tr.added").inner_text()
        # A new case starts on the new version.
        assert web_engine.start("petition_case", {}, actor="clerk").version == after

        # The old case is moved with the bulk move, then completes through the new step.
        page.goto(live_server + "/designer/processes/petition_case")
        page.select_option("#bulk-migrate select[name=from]", str(before))
        page.select_option("#bulk-migrate select[name=to]", str(after))
        page.click("#migrate-start")
        page.wait_for_selector("#bulk-migrate[data-state=done]")
        assert "已迁移 1 件" in page.locator("#migrate-result").inner_text()
        assert web_engine.instance(old).version == after
        office.complete("solve_demand", solution_record="已解决")
        office.complete("draft_reply", reply_text="答复", reply_ref="doc:3")
        assert office.task("check_reply").candidate_groups == ["case_handler"]
        office.complete("check_reply", check_note="答复与事实相符")
        office.complete("approve_reply", reply_approved=True)
        office.complete("record_reply", reply_delivered_on="2026-03-02")
        office.complete("assess_satisfaction", facts_clear=True, problem_solved=True,
                        petitioner_satisfaction="satisfied", petitioning_stopped=True)
        office.complete("compile_dossier", **SIX)
        office.complete("sign_off_case", **SIGN_OFF)
        for days, element in ((31, "follow_up_visit"), (30, "follow_up_visit"), (30, "leader_follow_up_visit")):
            office.advance(days=days)
            office.complete(element, **STABLE)
        assert web_engine.instance(old).status == InstanceStatus.COMPLETED
        assert web_engine.instance(old).data["check_note"] == "答复与事实相符"
        assert web_engine.verify_history(old).ok

        # A due date the engine refuses: drawn on its element, not deployed.
        page.goto(live_server + f"/designer/edit?key=petition_case&version={after}")
        page.wait_for_selector("#designer[data-state=ready]")
        page.evaluate("""() => {
          const m = window.anjieModeler, el = m.get('elementRegistry').get('check_reply');
          m.get('canvas').setRootElement(m.get('elementRegistry').get('stage_reply_plane'));
          m.get('modeling').updateProperties(el, {'camunda:dueDate': 'reply_deadline +'});
        }""")
        page.click("#designer-check")
        page.wait_for_selector("#designer-problems li[data-element-id=check_reply]")
        assert page.locator("g.anjie-problem[data-element-id=check_reply]").count() == 1
        page.fill("#designer-note", "坏的")
        page.click("#designer-deploy")
        page.wait_for_selector("#designer-status:has-text('未部署')")
        assert [v.version for v in web_engine.designs.versions("petition_case")] == [after, before]

        # The shipped decision table's test box: three repeat petitions make a case red.
        three_repeats_make_a_case_red(page, live_server)
        assert errors == []
    except Exception:
        (tmp_path / "page.html").write_text(page.content(), encoding="utf-8")
        page.screenshot(path=str(tmp_path / "page.png"))
        print("page dump:", tmp_path)
        raise
    finally:
        context.close()
