"""engine/dialects.py through Engine.deploy: every element SpiffWorkflow parses is stored and read back,
each file is read by the parser of its dialect, and call activities reach processes of other files."""

from __future__ import annotations

import pytest
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from engine import DiagramInvalid, Engine
from tests.conftest import EngineWith
from tests.engine import bpmn_builder as b
from tests.engine.element_catalogue import catalogue

START_DATA = {"items": [1, 2], "n": 0, "ready": False}


def _spec_classes(engine: Engine, instance_id: int) -> dict[str, str]:
    workflow = engine.workflow(instance_id)
    specs = [workflow.spec, *workflow.subprocess_specs.values()]
    return {name: type(ts).__name__ for spec in specs for name, ts in spec.task_specs.items()}


def _raw_classes(doc: str, parser: BpmnParser, pid: str) -> dict[str, str]:
    from lxml import etree

    parser.add_bpmn_xml(etree.fromstring(doc.encode()), filename="raw")
    specs = [parser.get_spec(pid), *parser.get_subprocess_specs(pid).values()]
    return {name: type(ts).__name__ for spec in specs for name, ts in spec.task_specs.items()}


def test_every_element_spiffworkflow_parses_deploys_starts_and_reads_back(engine_with: EngineWith) -> None:
    engine = engine_with()
    docs = catalogue()
    started = {}
    for name, doc in docs.items():
        [dep] = [d for d in engine.deploy(doc, actor="designer") if d.process_key == f"el_{name}"]
        started[name] = engine.start(dep.process_key, dict(START_DATA), actor="clerk")
    # Read back from the database alone, as a freshly started process would.
    engine.forget_cached()
    for name, inst in started.items():
        parser = CamundaParser() if "camunda:" in docs[name].split("</bpmn:definitions>")[0].split(">", 2)[2] \
            else BpmnParser()
        assert _spec_classes(engine, inst.id) == _raw_classes(docs[name], parser, f"el_{name}"), name
        assert engine.instance(inst.id).status in {"running", "waiting", "completed"}, (name, inst.incident_message)


@pytest.mark.sqlite_only
def test_standard_multi_instance_over_loop_data_input_ref_deploys_and_runs(engine_with: EngineWith) -> None:
    engine = engine_with(catalogue()["sequentialMultiInstance"])
    inst = engine.start("el_sequentialMultiInstance", {"items": ["甲", "乙"]}, actor="clerk")
    for answer in ("已访", "未访"):
        [task] = engine.tasks(instance_id=inst.id)
        engine.complete(task.id, {"result": answer}, actor="clerk")
    done = engine.instance(inst.id)
    assert done.status == "completed" and done.data["results"] == ["已访", "未访"]


@pytest.mark.sqlite_only
def test_a_file_with_spiffworkflow_extensions_is_read_by_spiffworkflows_parser(engine_with: EngineWith) -> None:
    doc = b.user_tasks_process("spiff_made", 1).replace(
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"',
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"',
    ).replace(
        ' camunda:candidateGroups="case_handler"/>',
        "><bpmn:extensionElements><spiffworkflow:instructionsForEndUser>请审核</spiffworkflow:instructionsForEndUser>"
        "</bpmn:extensionElements></bpmn:userTask>",
    )
    engine = engine_with(doc)
    inst = engine.start("spiff_made", actor="clerk")
    engine.forget_cached()
    workflow = engine.workflow(inst.id)
    assert type(workflow.spec.task_specs["task_1"]).__module__.startswith("SpiffWorkflow.spiff")
    assert _spec_classes(engine, inst.id) == _raw_classes(doc, SpiffBpmnParser(), "spiff_made")
    [task] = engine.tasks(instance_id=inst.id)
    assert engine.complete(task.id, {}, actor="clerk").status == "completed"


def _callee(name: str) -> str:
    return b.process("follow_up_visit", "\n".join([
        '<bpmn:startEvent id="begin"/>', f'<bpmn:userTask id="visit" name="{name}"/>', '<bpmn:endEvent id="finish"/>',
        b.flow("f1", "begin", "visit"), b.flow("f2", "visit", "finish"),
    ]))


def _caller(pid: str, attrs: str = "") -> str:
    return b.process(pid, "\n".join([
        '<bpmn:startEvent id="begin"/>', f'<bpmn:callActivity id="call_visit" calledElement="follow_up_visit"{attrs}/>',
        '<bpmn:endEvent id="finish"/>', b.flow("f1", "begin", "call_visit"), b.flow("f2", "call_visit", "finish"),
    ]))


def test_a_call_activity_calls_the_latest_deployed_process_of_another_file(engine_with: EngineWith) -> None:
    engine = engine_with(_callee("回访一"), _callee("回访二"))
    engine.deploy(_caller("backlog_case"), actor="designer")
    inst = engine.start("backlog_case", actor="clerk")
    [task] = engine.tasks(instance_id=inst.id)
    assert task.name == "回访二"
    engine.forget_cached()
    assert engine.complete(task.id, {}, actor="clerk").status == "completed"


@pytest.mark.sqlite_only
def test_a_call_activity_may_pin_the_version_it_calls(engine_with: EngineWith) -> None:
    engine = engine_with(_callee("回访一"), _callee("回访二"))
    pinned = ' camunda:calledElementBinding="version" camunda:calledElementVersion="1"'
    engine.deploy(_caller("backlog_case", pinned), actor="designer")
    [task] = engine.tasks(instance_id=engine.start("backlog_case", actor="clerk").id)
    assert task.name == "回访一"
    with pytest.raises(DiagramInvalid) as refused:
        engine.deploy(_caller("other_case", pinned.replace('"1"', '"7"')), actor="designer")
    [problem] = refused.value.problems
    assert problem.element_id == "call_visit" and "version 7 of process 'follow_up_visit'" in problem.message


@pytest.mark.sqlite_only
def test_a_call_activity_to_a_process_deployed_nowhere_is_refused_naming_the_caller(engine_with: EngineWith) -> None:
    engine = engine_with()
    with pytest.raises(DiagramInvalid) as refused:
        engine.deploy(_caller("backlog_case"), actor="designer")
    [problem] = refused.value.problems
    assert problem.element_id == "call_visit"
    assert "'follow_up_visit'" in problem.message and "deploy it first" in problem.message
    assert engine.deployments() == []
