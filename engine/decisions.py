"""Trying a decision table: which rules hit for given inputs, and the outputs, without running a case."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser

from . import deploy as parsing
from .errors import DiagramInvalid, Problem
from .views import DecisionResult


@dataclass
class _Workflow:
    script_engine: PythonScriptEngine


@dataclass
class _Task:
    """What SpiffWorkflow's DMN engine reads of a task: its data and its workflow's script engine."""

    data: dict[str, Any]
    workflow: _Workflow


def try_decision(source: bytes, inputs: dict[str, Any], scripts: PythonScriptEngine,
                  decision_id: str | None = None) -> DecisionResult:
    """Evaluate one decision of a DMN document (the first when `decision_id` is None) on `inputs`."""
    diagram, _ = parsing.parse_diagram(source, [])
    if diagram.kind != "dmn":
        raise DiagramInvalid([Problem.of("not_dmn", file=diagram.name)])
    decision = decision_id or diagram.decision_ids[0]
    if decision not in diagram.decision_ids:
        raise DiagramInvalid([Problem.of("unknown_decision", file=diagram.name, decision=decision)])
    parser = CamundaParser()
    parser.add_dmn_xml(diagram.tree.getroot(), filename=diagram.name)
    table = parser.get_engine(decision, diagram.tree.getroot())
    task = _Task(dict(inputs), _Workflow(scripts))
    try:
        rules = table.decide(task)
        outputs = dict(table.result(task))
    except Exception as exc:  # an input the table's expressions cannot read
        raise DiagramInvalid([Problem.of("table_failed", file=diagram.name, detail=exc)]) from None
    return DecisionResult(decision, [rule.id for rule in rules], [rule.row_number for rule in rules], outputs)
