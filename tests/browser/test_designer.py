"""A process designer in headless Chromium: open a deployed process in the modeler, add a step
with a form field, see the linter flag it while unconnected, connect it, deploy version 2 with a
change note; move an old case over with the bulk move and see it complete on version 2; a diagram
the server refuses shows its problem on the element; the decision table's test box gives the colour."""

from __future__ import annotations

from typing import Any

import pytest

from engine import Engine, InstanceStatus
from tests.browser.pages import open_designer, signed_in, three_repeats_make_a_case_red
from tests.conftest import PROCESSES
from tests.webapp.conftest import start_case

# Adds an unconnected user task with one form field, as a designer drawing it would.
ADD_TASK = """() => {
  const m = window.anjieModeler, modeling = m.get('modeling'), factory = m.get('bpmnFactory');
  const registry = m.get('elementRegistry'), moddle = m.get('moddle');
  const root = m.get('canvas').getRootElement();
  const field = moddle.create('camunda:FormField', {id: 'check_note', label: '核查意见', type: 'string'});
  const form = moddle.create('camunda:FormData', {fields: [field]});
  const bo = factory.create('bpmn:UserTask', {id: 'check_reply', name: '核查答复',
    extensionElements: moddle.create('bpmn:ExtensionElements', {values: [form]})});
  bo.set('camunda:candidateGroups', 'case_handler');
  const shape = m.get('elementFactory').createShape({type: 'bpmn:UserTask', businessObject: bo});
  modeling.createShape(shape, {x: 600, y: 420}, root);
  m.get('selection').select(registry.get('check_reply'));
}"""
# Puts the new task between draft_reply and approve_reply.
CONNECT_TASK = """() => {
  const m = window.anjieModeler, modeling = m.get('modeling'), registry = m.get('elementRegistry');
  const task = registry.get('check_reply');
  modeling.reconnectEnd(registry.get('f4'), task, {x: task.x, y: task.y + task.height / 2});
  modeling.connect(task, registry.get('approve_reply'));
}"""
LINT_ISSUES = "() => Object.keys(window.anjieModeler.get('linting')._issues || {})"


@pytest.mark.sqlite_only
def test_designer_journey(browser: Any, live_server: str, web_engine: Engine) -> None:
    web_engine.deploy(PROCESSES / "risk_colour.dmn", actor="designer")
    old = start_case(web_engine, title="旧版本案件")
    context, page, errors = signed_in(browser, live_server, "designer", width=1400, height=900)
    try:
        open_designer(page, live_server, "web_petition", 1)
        assert page.locator(".bio-properties-panel").count() == 1

        page.evaluate(ADD_TASK)
        page.wait_for_function("() => (window.anjieModeler.get('linting')._issues || {})['check_reply']")
        assert "check_reply" in page.evaluate(LINT_ISSUES)
        # The panel shows the selected task, its labels in Chinese.
        assert page.locator(".bio-properties-panel-header-label").inner_text() == "核查答复"
        assert page.locator(".bio-properties-panel-group-header-title", has_text="常规").count() >= 1
        page.evaluate(CONNECT_TASK)
        page.wait_for_function("() => !(window.anjieModeler.get('linting')._issues || {})['check_reply']")

        page.click("#designer-check")
        page.wait_for_selector("#designer[data-checked=ok]")
        page.fill("#designer-note", "答复前增加核查")
        page.click("#designer-deploy")
        page.wait_for_url("**/designer/processes/web_petition")
        assert "答复前增加核查" in page.locator("#versions").inner_text()
        assert web_engine.start("web_petition", {"title": "新案件"}, actor="clerk").version == 2

        page.select_option("#bulk-migrate select[name=from]", "1")
        page.select_option("#bulk-migrate select[name=to]", "2")
        page.click("#migrate-start")
        page.wait_for_selector("#bulk-migrate[data-state=done]")
        assert "已迁移 1 件" in page.locator("#migrate-result").inner_text()
        for element, data in (("visit_petitioner", {"visit_date": "2026-03-02", "visit_notes": "见面"}),
                              ("draft_reply", {"reply_text": "答复"}), ("check_reply", {}),
                              ("approve_reply", {"approved": True})):
            [task] = [t for t in web_engine.tasks(instance_id=old.id) if t.element_id == element]
            web_engine.complete(task.id, data, actor="leader" if element == "approve_reply" else "handler")
        assert web_engine.instance(old.id).status == InstanceStatus.COMPLETED
        assert web_engine.verify_history(old.id).ok

        # A timer the engine refuses: the problem is drawn on its element, nothing is deployed.
        page.goto(live_server + "/designer/edit?key=web_petition&version=2")
        page.wait_for_selector("#designer[data-state=ready]")
        page.evaluate("""() => {
          const m = window.anjieModeler, bo = m.get('elementRegistry').get('visit_petitioner').businessObject;
          m.get('modeling').updateProperties(m.get('elementRegistry').get('visit_petitioner'),
                                             {'camunda:dueDate': 'visit_deadline +'});
        }""")
        page.click("#designer-check")
        page.wait_for_selector("#designer-problems li[data-element-id=visit_petitioner]")
        assert page.locator("g.anjie-problem[data-element-id=visit_petitioner]").count() == 1
        page.fill("#designer-note", "坏的")
        page.click("#designer-deploy")
        page.wait_for_selector("#designer-status:has-text('未部署')")
        assert [v.version for v in web_engine.designs.versions("web_petition")] == [2, 1]

        three_repeats_make_a_case_red(page, live_server)
        assert errors == []
    finally:
        context.close()
