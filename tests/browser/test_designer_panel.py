"""In headless Chromium, on the shipped petition_case: the properties panel edits what the product
runs on without XML (lane, assignee, candidate groups, due date, form fields with their
constraints, options and properties, timers, conditions, decision references, worker topics),
with Chinese labels; the linter flags, while drawing, each rule the designer relies on."""

from __future__ import annotations

from typing import Any

import pytest

from engine import Engine
from tests.browser.pages import open_designer, signed_in
from tests.processes.conftest import SHIPPED

GROUPS = "() => [...document.querySelectorAll('.bio-properties-panel-group-header-title')].map(e => e.textContent)"
LABELS = "() => [...document.querySelectorAll('.bio-properties-panel-entry label, " \
         ".bio-properties-panel-list-entry-header')].map(e => e.textContent.trim())"
# Selects an element where it is drawn: a step inside a stage is selected in the stage's picture.
SELECT = ("(id) => { const m = window.anjieModeler, c = m.get('canvas'), el = m.get('elementRegistry').get(id);"
          " c.setRootElement(c.findRoot(el)); m.get('selection').select(el); }")
# What each lint rule is for, in a process without lanes: a person's task with no owner and no
# name, a forking gateway with no default flow, a timer with no expression and one cycling with
# no interval (the last three unconnected).
_NODES = [
    ("bpmn:startEvent", "begin", ""), ("bpmn:userTask", "nobody_owns", ""),
    ("bpmn:exclusiveGateway", "no_default", ' name="分支"'), ("bpmn:task", "way_a", ' name="甲"'),
    ("bpmn:task", "way_b", ' name="乙"'), ("bpmn:endEvent", "done", ""),
]
_TIMERS = [("timer_empty", ""), ("timer_forever", '<bpmn:timeCycle xsi:type="bpmn:tFormalExpression">R/PT0S'
                                                  "</bpmn:timeCycle>")]
_FLOWS = [("f1", "begin", "nobody_owns"), ("f2", "nobody_owns", "no_default"), ("f3", "no_default", "way_a"),
          ("f4", "no_default", "way_b"), ("f5", "way_a", "done"), ("f6", "way_b", "done")]


def _lint_sample() -> str:
    def refs(ident: str) -> str:  # bpmn-moddle reads a node's flows from these children
        return "".join([f"<bpmn:incoming>{f}</bpmn:incoming>" for f, _a, b in _FLOWS if b == ident]
                       + [f"<bpmn:outgoing>{f}</bpmn:outgoing>" for f, a, _b in _FLOWS if a == ident])

    nodes = "".join(f'<{tag} id="{ident}"{attrs}>{refs(ident)}</{tag}>' for tag, ident, attrs in _NODES)
    nodes += "".join(f'<bpmn:intermediateCatchEvent id="{ident}" name="{ident}"><bpmn:timerEventDefinition>'
                     f"{body}</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>" for ident, body in _TIMERS)
    nodes += "".join(f'<bpmn:sequenceFlow id="{f}" sourceRef="{a}" targetRef="{b}"/>' for f, a, b in _FLOWS)
    shapes = "".join(f'<bpmndi:BPMNShape bpmnElement="{ident}"><dc:Bounds x="{100 + 150 * n}" y="100" '
                     'width="100" height="80"/></bpmndi:BPMNShape>'
                     for n, ident in enumerate([i for _t, i, _a in _NODES] + [i for i, _b in _TIMERS]))
    return ('<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions '
            'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
            'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="lint_sample_defs" targetNamespace="t">'
            f'<bpmn:process id="lint_sample" isExecutable="true">{nodes}</bpmn:process>'
            '<bpmndi:BPMNDiagram id="d"><bpmndi:BPMNPlane id="p" bpmnElement="lint_sample">'
            f"{shapes}</bpmndi:BPMNPlane></bpmndi:BPMNDiagram></bpmn:definitions>")


ISSUES = "() => Object.fromEntries(Object.entries(window.anjieModeler.get('linting')._issues || {})" \
         ".map(([k, v]) => [k, v.map(i => i.message)]))"


def _open(browser: Any, live_server: str) -> tuple[Any, Any, list[str]]:
    context, page, errors = signed_in(browser, live_server, "designer")
    open_designer(page, live_server, "petition_case", 1)
    return context, page, errors


def _open_groups(page: Any) -> None:
    """Open every closed group of the panel, and every collapsed entry in them (a form field)."""
    for selector in (".bio-properties-panel-group-header:not(.open)",
                     ".bio-properties-panel-collapsible-entry-header"):
        page.evaluate(f"() => document.querySelectorAll('{selector}').forEach(h => h.click())")


@pytest.mark.sqlite_only
def test_the_panel_edits_what_the_product_runs_on(browser: Any, live_server: str, web_engine: Engine) -> None:
    for diagram in SHIPPED:
        web_engine.deploy(diagram, actor="designer")
    context, page, errors = _open(browser, live_server)
    try:
        # A person's task: who does it, by when, and its form's fields.
        page.evaluate(SELECT, "draft_reply")
        assert {"常规", "办理人分配", "表单", "表单字段"} <= set(page.evaluate(GROUPS))
        _open_groups(page)
        labels = set(page.evaluate(LABELS))
        assert {"名称", "编号", "办理人", "候选组", "到期时间", "标签", "类型", "默认值"} <= labels, labels
        # A field's constraints (required, the conditional rules) and properties (help, options' source).
        assert any(x.startswith("约束") for x in labels) and any(x.startswith("属性") for x in labels), labels
        assert {"配置", "之前", "之后"} <= labels, "the panel speaks Chinese"
        # The lane a task sits in is the role it is offered to: its name is edited in the panel.
        page.evaluate(SELECT, "stage_register_lane_coordinator")
        assert "常规" in page.evaluate(GROUPS)
        assert "名称" in page.evaluate(LABELS)
        page.evaluate(SELECT, "accept_reminder_timer")
        _open_groups(page)
        assert "定时器" in page.evaluate(GROUPS) and {"类型", "值", "重试周期"} <= set(page.evaluate(LABELS))
        page.evaluate(SELECT, "flow_reply_approved_gateway_to_record_reply")
        _open_groups(page)
        assert "条件" in page.evaluate(GROUPS) and "条件表达式" in page.evaluate(LABELS)
        page.evaluate(SELECT, "assess_risk_colour")
        _open_groups(page)
        assert "实现方式" in page.evaluate(GROUPS) and {"决策引用", "绑定", "结果变量"} <= set(page.evaluate(LABELS))
        # A service task done by a worker: its topic.
        page.evaluate("""() => {
          const m = window.anjieModeler, shape = m.get('elementFactory').createShape({type: 'bpmn:ServiceTask'});
          const pool = m.get('elementRegistry').get('petition_case_participant');
          m.get('canvas').setRootElement(m.get('canvas').findRoot(pool));
          m.get('modeling').createShape(shape, {x: 300, y: 3300}, pool);
          m.get('selection').select(shape);
        }""")
        _open_groups(page)
        page.locator("[data-group-id=group-CamundaPlatform__Implementation] select").first.select_option("external")
        assert "主题" in page.evaluate(LABELS)
        assert errors == []
    finally:
        context.close()


@pytest.mark.sqlite_only
def test_the_linter_flags_each_rule_while_drawing(browser: Any, live_server: str, web_engine: Engine) -> None:
    for diagram in SHIPPED:
        web_engine.deploy(diagram, actor="designer")
    context, page, errors = _open(browser, live_server)
    try:
        shipped = page.evaluate(ISSUES)
        page.evaluate("(xml) => window.anjieModeler.importXML(xml)", _lint_sample())
        page.wait_for_function("() => (window.anjieModeler.get('linting')._issues || {})['timer_forever']")
        issues = page.evaluate(ISSUES)
        assert "人工任务没有泳道、候选组或办理人" in issues["nobody_owns"]
        assert any("label" in m.lower() or "名称" in m for m in issues["nobody_owns"]), issues["nobody_owns"]
        assert "排他网关没有默认流向" in issues["no_default"]
        assert "定时器没有时间表达式" in issues["timer_empty"]
        assert "循环定时器的间隔为零，引擎会拒绝部署" in issues["timer_forever"]
        assert any("connect" in m.lower() or "连接" in m for m in issues["timer_forever"]), issues["timer_forever"]
        assert not {"nobody_owns", "no_default", "timer_empty", "timer_forever"} & set(shipped)
        assert errors == []
    finally:
        context.close()
