"""Diagram files are written one element per line, as Camunda Modeler writes them; formatting keeps their content."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.diagram_format import DiagramFormatError, format_diagram, same_content
from tests.conftest import PROCESSES

SHIPPED = sorted(p for p in PROCESSES.iterdir() if p.suffix in {".bpmn", ".dmn"})
FIXTURES = sorted(Path(__file__).resolve().parent.parent.glob("*/diagrams/*.bpmn"))

ONE_LINE = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs" targetNamespace="urn:t">'
    b"<!-- kept -->"
    b'<bpmn:process id="p" isExecutable="true">'
    b'<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
    b'<bpmn:scriptTask id="calc" scriptFormat="python"><bpmn:incoming>f1</bpmn:incoming>'
    b"<bpmn:script>if a &lt; b:\n    c = 1\nelse:\n  c = 2</bpmn:script></bpmn:scriptTask>"
    b'<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="calc">'
    b'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">a &lt; b</bpmn:conditionExpression>'
    b"</bpmn:sequenceFlow>"
    b"</bpmn:process></bpmn:definitions>"
)

EXPECTED = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs" targetNamespace="urn:t">
  <!-- kept -->
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start">
      <bpmn:outgoing>f1</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:scriptTask id="calc" scriptFormat="python">
      <bpmn:incoming>f1</bpmn:incoming>
      <bpmn:script>if a &lt; b:
    c = 1
else:
  c = 2</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="calc">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">a &lt; b</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
  </bpmn:process>
</bpmn:definitions>
"""


def test_the_shipped_diagrams_are_found() -> None:
    assert {p.name for p in SHIPPED} >= {"petition_case.bpmn", "backlog_campaign.bpmn", "risk_colour.dmn"}
    assert FIXTURES


@pytest.mark.parametrize("path", SHIPPED + FIXTURES, ids=lambda p: p.name)
def test_diagram_files_are_formatted(path: Path) -> None:
    raw = path.read_bytes()
    formatted = format_diagram(raw)
    assert formatted == raw, f"{path.name} is not formatted; write format_diagram's output back"
    assert same_content(raw, formatted)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_formatting_a_squashed_diagram_gives_the_file_back(path: Path) -> None:
    raw = path.read_bytes()
    # Text never holds a raw "<" or ">", so this only drops the whitespace between tags.
    squashed = re.sub(rb">\s+<", b"><", raw)
    assert squashed.count(b"\n") < raw.count(b"\n") // 2
    assert format_diagram(squashed) == raw


def test_a_one_line_diagram_gets_one_element_per_line_with_text_kept() -> None:
    formatted = format_diagram(ONE_LINE)
    assert formatted == EXPECTED
    assert same_content(ONE_LINE, formatted)
    assert format_diagram(formatted) == formatted


def test_formatting_is_idempotent_on_awkward_input() -> None:
    source = (
        b"<!-- before --><a xmlns='urn:a' xmlns:b='urn:b' z='1' b:y='two&#10;lines' m='&quot;&amp;&lt;'>"
        b"<b:c/><d>text <i>inner</i> tail<e/>  </d>\n\n   <w>   </w><n></n>"
        b"<?pi data?><x xmlns=''><y/></x></a><!-- after -->"
    )
    once = format_diagram(source)
    assert format_diagram(once) == once
    assert same_content(source, once)
    lines = once.decode().splitlines()
    assert lines[0] == '<?xml version="1.0" encoding="UTF-8"?>'
    assert lines[1] == "<!-- before -->"
    assert lines[2] == """<a xmlns="urn:a" xmlns:b="urn:b" z="1" b:y="two&#10;lines" m="&quot;&amp;&lt;">"""
    assert "  <b:c />" in lines
    assert "  <d>text <i>inner</i> tail<e />  </d>" in lines  # mixed content untouched
    assert "  <w>   </w>" in lines  # whitespace-only text of a leaf kept
    assert "  <n />" in lines
    assert "  <?pi data?>" in lines
    assert '  <x xmlns="">' in lines and "    <y />" in lines
    assert lines[-1] == "<!-- after -->"
    assert once.endswith(b"</a>\n<!-- after -->\n")


def test_same_content_sees_changed_text_attributes_and_comments() -> None:
    formatted = format_diagram(ONE_LINE)
    assert not same_content(ONE_LINE, ONE_LINE.replace(b"a &lt; b</bpmn:c", b"a &lt;= b</bpmn:c"))
    assert not same_content(ONE_LINE, ONE_LINE.replace(b"    c = 1", b"  c = 1"))
    assert not same_content(ONE_LINE, ONE_LINE.replace(b'scriptFormat="python"', b'scriptFormat="js"'))
    assert not same_content(ONE_LINE, ONE_LINE.replace(b"<!-- kept -->", b""))
    assert not same_content(formatted, formatted.replace(b"<bpmn:outgoing>f1", b"<bpmn:outgoing> f1"))
    assert same_content(formatted, formatted.replace(b"\n  <bpmn:process", b"<bpmn:process"))


@pytest.mark.parametrize(
    "source",
    [
        b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "boom">]><a>&x;</a>',
        b'<!DOCTYPE a SYSTEM "http://example.invalid/a.dtd"><a/>',
        b'<!doctype a [<!entity x SYSTEM "file:///etc/passwd">]><a>&x;</a>',
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>'.encode("utf-16"),
    ],
    ids=["internal-entity", "external-dtd", "lowercase", "utf-16"],
)
def test_a_doctype_or_entity_is_refused(source: bytes) -> None:
    with pytest.raises(DiagramFormatError, match="DOCTYPE or ENTITY declaration is not allowed"):
        format_diagram(source)
    with pytest.raises(ValueError):
        same_content(source, b"<a/>")


def test_broken_xml_is_refused_with_the_reason() -> None:
    with pytest.raises(DiagramFormatError, match="not well-formed XML"):
        format_diagram(b"<a><b></a>")
