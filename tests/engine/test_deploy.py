"""engine/deploy.py through Engine.deploy: versions, and every kind of refused diagram."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from engine import DiagramInvalid, Engine
from tests.conftest import EngineWith
from tests.engine import bpmn_builder as b

SIMPLE = Path(__file__).parent / "diagrams" / "simple_review.bpmn"


def test_same_content_same_version_changed_content_next_version(engine_with: EngineWith) -> None:
    engine = engine_with()
    first = engine.deploy(SIMPLE, actor="designer")
    again = engine.deploy(SIMPLE, actor="designer")
    assert [(d.process_key, d.version) for d in first] == [("simple_review", 1)]
    assert again == first
    changed = SIMPLE.read_text(encoding="utf-8").replace("简单审核", "简单审核二")
    second = engine.deploy(changed, actor="designer")
    assert second[0].version == 2 and second[0].content_hash != first[0].content_hash
    assert engine.deploy(changed.encode("utf-8"), actor="designer")[0].version == 2
    assert engine.diagram_xml("simple_review", 1) == SIMPLE.read_bytes()


def _refused(engine: Engine, source: str | bytes) -> list[str]:
    start = time.monotonic()
    with pytest.raises(DiagramInvalid) as info:
        engine.deploy(source, actor="designer")
    assert time.monotonic() - start < 5, "refusal must be fast"
    assert engine.deployments() == [], "nothing may be stored"
    assert info.value.problems, "a refusal lists its problems"
    return [str(p) for p in info.value.problems]


XXE = """<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"><x>&x;</x></bpmn:definitions>"""
BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol3;</bpmn:definitions>"""
PARAMETER_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY % p SYSTEM "http://127.0.0.1:9/evil.dtd"> %p;]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"/>"""


@pytest.mark.parametrize("doc", [XXE, BILLION_LAUGHS, PARAMETER_ENTITY], ids=["xxe", "laughs", "param"])
def test_any_doctype_is_refused(engine_with: EngineWith, doc: str) -> None:
    engine = engine_with()
    assert any("DOCTYPE" in p for p in _refused(engine, doc))


def test_bytes_not_in_their_declared_encoding_and_non_xml_and_non_bpmn_are_refused(engine_with: EngineWith) -> None:
    engine = engine_with()
    latin = b.user_tasks_process("p").replace("任务", "t\u00e9").encode("latin-1")
    assert any("not UTF-8 text" in p for p in _refused(engine, latin))
    unknown = b'<?xml version="1.0" encoding="klingon"?><a/>'
    assert any("unknown encoding 'klingon'" in p for p in _refused(engine, unknown))
    assert any("well-formed" in p for p in _refused(engine, "<bpmn:definitions"))
    assert any("not a BPMN or DMN" in p for p in _refused(engine, "<html><body/></html>"))


@pytest.mark.sqlite_only
def test_a_declared_encoding_is_read_when_the_bytes_decode_in_it(engine_with: EngineWith) -> None:
    engine = engine_with()
    for encoding, word in (("ISO-8859-1", "t\u00e9che"), ("GBK", "任务"), ("US-ASCII", "task")):
        doc = b.user_tasks_process(f"p_{encoding[:3].lower()}").replace("任务", word)
        doc = doc.replace('encoding="UTF-8"', f'encoding="{encoding}"').encode(encoding)
        engine.deploy(doc, actor="designer")
        started = engine.start(f"p_{encoding[:3].lower()}", actor="clerk")
        assert [t.name for t in engine.tasks(instance_id=started.id)] == [f"{word}1"]


def test_problems_spiffworkflow_finds_are_listed_beside_ours(engine_with: EngineWith) -> None:
    engine = engine_with()
    # A bad due date (ours), an element the BPMN schema does not know (SpiffWorkflow's
    # validator) and a call to a process deployed nowhere, all in one refusal.
    doc = b.process("p", "\n".join([
        '<bpmn:startEvent id="begin"><bpmn:bogus/></bpmn:startEvent>', '<bpmn:userTask id="t" camunda:dueDate="(("/>',
        b.flow("f1", "begin", "t"), '<bpmn:endEvent id="finish"/>', b.flow("f2", "t", "finish"),
        '<bpmn:callActivity id="call_missing" calledElement="nowhere"/>',
        b.flow("f3", "begin", "call_missing"), b.flow("f4", "call_missing", "finish"),
    ]))
    problems = engine.validate(doc)
    assert any(p.element_id == "t" and "dueDate" in p.message for p in problems)
    assert any("bogus" in p.message for p in problems)
    assert any(p.element_id == "call_missing" and "'nowhere'" in p.message for p in problems)
    # Each problem names its kind with a stable code and its details, for the front-ends to translate.
    by_code = {p.code: p for p in problems}
    assert by_code["task_expression"].params["attr"] == "dueDate"
    assert by_code["call_missing"].params == {"process": "nowhere"}
    assert by_code["parser"].params["detail"] and "bogus" in by_code["parser"].params["detail"]


def test_every_problem_code_fills_its_text_and_unknown_details_fall_back_to_english() -> None:
    from engine import Problem, describe_problem
    from engine.problem_texts import TEXTS

    problem = Problem.of("duplicate_id", "a", 7, "x.bpmn", first=3)
    assert problem.message == "duplicate id (first at line 3)" and problem.params == {"first": "3"}
    assert str(problem) == "x.bpmn, line 7, element 'a': duplicate id (first at line 3)"
    assert describe_problem(problem, lambda text: text) == str(problem)
    # A translation that names a detail the problem lacks shows the engine's English, never a crash.
    assert describe_problem(problem, lambda t: "%(missing)s" if t in TEXTS.values() else t,
                            where=False) == problem.message
    assert all(code.isidentifier() for code in TEXTS)


def test_no_executable_process_is_refused(engine_with: EngineWith) -> None:
    engine = engine_with()
    doc = b.process("p", '<bpmn:startEvent id="begin"/>', executable=False)
    assert any("no executable process" in p for p in _refused(engine, doc))


@pytest.mark.sqlite_only
def test_a_process_without_is_executable_is_executable(engine_with: EngineWith) -> None:
    doc = b.user_tasks_process("p", 1).replace(' isExecutable="true"', "")
    engine = engine_with(doc)
    assert [t.element_id for t in engine.tasks(instance_id=engine.start("p", actor="clerk").id)] == ["task_1"]


def test_duplicate_ids_and_missing_flow_targets_are_all_listed(engine_with: EngineWith) -> None:
    engine = engine_with()
    doc = b.process(
        "p",
        '<bpmn:startEvent id="begin"/><bpmn:userTask id="twice"/><bpmn:userTask id="twice"/>'
        + b.flow("f1", "begin", "twice")
        + b.flow("f2", "twice", "nowhere"),
    )
    problems = _refused(engine, doc)
    assert any("duplicate id" in p and "twice" in p for p in problems)
    assert any("missing element 'nowhere'" in p for p in problems)


@pytest.mark.parametrize("reserved", ["Start", "End"])
def test_reserved_ids_are_refused_with_the_element_named(engine_with: EngineWith, reserved: str) -> None:
    engine = engine_with()
    doc = b.user_tasks_process("p", 1).replace('id="begin"', f'id="{reserved}"').replace(
        'sourceRef="begin"', f'sourceRef="{reserved}"'
    )
    assert any(f"element '{reserved}'" in p and "reserved" in p for p in _refused(engine, doc))


@pytest.mark.parametrize(
    "timer, expect",
    [
        ("<bpmn:timeCycle>R/PT0S</bpmn:timeCycle>", "zero duration"),
        ("<bpmn:timeCycle>\"R/PT0S\"</bpmn:timeCycle>", "zero duration"),
        ("<bpmn:timeDuration>\"P1X\"</bpmn:timeDuration>", "not valid ISO 8601"),
    ],
)
def test_bad_timer_expressions_are_caught_at_deploy(engine_with: EngineWith, timer: str, expect: str) -> None:
    engine = engine_with()
    problems = _refused(engine, b.timer_process("p", timer))
    assert any(expect in p and "'wait'" in p for p in problems), problems


@pytest.mark.sqlite_only
@pytest.mark.parametrize("timer, due", [
    ("<bpmn:timeDuration>PT2H</bpmn:timeDuration>", "2026-03-02T03:00:00+00:00"),
    ("<bpmn:timeDuration>P7D</bpmn:timeDuration>", "2026-03-09T01:00:00+00:00"),
    ("<bpmn:timeCycle>R6/P1D</bpmn:timeCycle>", "2026-03-03T01:00:00+00:00"),
    ("<bpmn:timeDate>2026-03-03T09:00:00+08:00</bpmn:timeDate>", "2026-03-03T01:00:00+00:00"),
])
def test_bare_iso_timers_as_camunda_writes_them_are_literals(engine_with: EngineWith, timer: str, due: str) -> None:
    engine = engine_with(b.timer_process("p", timer))
    engine.start("p", actor="clerk")
    assert [t.due_at.isoformat() for t in engine.timers()] == [due]


def test_a_chain_too_long_to_parse_is_a_problem_not_a_crash(engine_with: EngineWith) -> None:
    engine = engine_with()
    problems = _refused(engine, b.chain_process("p", 600))
    assert any("too long to parse" in p for p in problems)


def test_schema_errors_name_the_line(engine_with: EngineWith) -> None:
    engine = engine_with()
    doc = b.process("p", '<bpmn:startEvent id="begin"><bpmn:bogus/></bpmn:startEvent>')
    problems = _refused(engine, doc)
    assert any("line" in p for p in problems)


def test_forbidden_script_is_refused_at_deploy(engine_with: EngineWith) -> None:
    engine = engine_with()
    problems = _refused(engine, b.script_process("p", "import os"))
    assert any("run_script" in p for p in problems)


def test_validate_reports_without_deploying(engine_with: EngineWith) -> None:
    engine = engine_with()
    assert engine.validate(SIMPLE) == []
    assert engine.validate(b.timer_process("p", "<bpmn:timeCycle>R/PT0S</bpmn:timeCycle>"))
    assert engine.deployments() == []


def _with_extension(markup: str, *, namespaces: str = "", before: str = "") -> str:
    """A valid one-task diagram carrying `markup` inside the task's extensionElements."""
    xml = b.user_tasks_process("carrier", 1).replace(
        '<bpmn:userTask id="task_1" name="任务1" camunda:candidateGroups="case_handler"/>',
        '<bpmn:userTask id="task_1" name="任务1" camunda:candidateGroups="case_handler">'
        f"<bpmn:extensionElements>{markup}</bpmn:extensionElements></bpmn:userTask>")
    xml = xml.replace('id="defs"', f'{namespaces} id="defs"')
    return xml.replace("<bpmn:definitions", before + "<bpmn:definitions", 1)


@pytest.mark.sqlite_only
@pytest.mark.parametrize(("markup", "namespaces", "before"), [
    ('<h:script xmlns:h="http://www.w3.org/1999/xhtml">alert(1)</h:script>', "", ""),
    ('<html:img onerror="alert(1)" src="x"/>', 'xmlns:html="http://www.w3.org/1999/xhtml"', ""),
    ('<svg:svg xmlns:svg="http://www.w3.org/2000/svg"><svg:script>alert(1)</svg:script></svg:svg>', "", ""),
    ('<xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0"/>', "", ""),
    ('<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="/etc/passwd"/>', "", ""),
    ('<camunda:properties h:onload="alert(1)" xmlns:h="http://www.w3.org/1999/xhtml"/>', "", ""),
    ("", "", '<?xml-stylesheet type="text/xsl" href="data:,x"?>\n'),
])
def test_browser_active_markup_is_refused_anywhere(engine_with: EngineWith, markup: str,
                                                   namespaces: str, before: str) -> None:
    engine = engine_with()
    xml = _with_extension(markup, namespaces=namespaces, before=before)
    problems = _refused(engine, xml)
    assert any("not allowed" in p for p in problems), problems
    assert engine.deployments() == []


@pytest.mark.sqlite_only
def test_vendor_extensions_from_other_tools_still_deploy(engine_with: EngineWith) -> None:
    engine = engine_with()
    xml = _with_extension(
        '<zeebe:taskDefinition type="x"/><signavio:signavioMetaData metaKey="k" metaValue="v"/>',
        namespaces='xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" '
                   'xmlns:signavio="http://www.signavio.com" '
                   'xmlns:color="http://www.omg.org/spec/BPMN/non-normative/color/1.0" '
                   'xmlns:bioc="http://bpmn.io/schema/bpmn/biocolor/1.0"')
    xml = xml.replace('<bpmn:userTask id="task_1"',
                      '<bpmn:userTask color:background-color="#fff" bioc:stroke="#000" id="task_1"')
    assert engine.deploy(xml, actor="designer")[0].process_key == "carrier"
