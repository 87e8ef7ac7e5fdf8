"""Parse and validate BPMN/DMN diagrams, refusing hostile or broken input with every reason."""

from __future__ import annotations

import ast
import codecs
import hashlib
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.dmn.parser.BpmnDmnParser import BpmnDmnParser
from SpiffWorkflow.exceptions import SpiffWorkflowException

from . import camunda_dialect
from .dialects import parser_for
from .errors import DiagramInvalid, Problem
from .forms import declaration_problems, fields_of
from .safe_xml import safe_parser
from .scripting import ScriptFailed, compile_expression, compile_script

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
DMN_NAMESPACES = {
    "https://www.omg.org/spec/DMN/20191111/MODEL/",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
}
NS = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS}
MAX_BYTES = 5_000_000
# Ids SpiffWorkflow gives its own internal task specs: a diagram element with one of
# these ids silently replaces them and breaks the process.
RESERVED_IDS = {"Start", "End", "Root"}
HUMAN_TAGS = {"userTask", "manualTask"}
ISO_LITERAL = re.compile(r"^\s*(R\d*/)?[-+0-9T:PYMWDHS./]*P[0-9TYMWDHS.]+\s*$|^\s*R\d*/", re.I)


@dataclass
class ParsedDiagram:
    """A validated diagram: its kind, bytes, hash, and what it deploys."""

    name: str
    kind: str  # bpmn or dmn
    raw: bytes
    content_hash: str
    tree: Any
    process_ids: list[str] = field(default_factory=list)
    decision_ids: list[str] = field(default_factory=list)
    process_names: dict[str, str | None] = field(default_factory=dict)
    # Called elements not in this file, per process: they are looked up among deployed processes.
    external_calls: dict[str, list[CalledElement]] = field(default_factory=dict)


@dataclass(frozen=True)
class CalledElement:
    """A call activity's target that another file deploys: who calls it, and which version it wants."""

    process_id: str
    caller: str
    line: int | None
    version: int | None = None


def _called_version(el: Any) -> int | None:
    """The version a call activity pins with camunda:calledElementBinding="version" (None: the latest)."""
    if el.get(f"{{{CAMUNDA_NS}}}calledElementBinding") != "version":
        return None
    text = (el.get(f"{{{CAMUNDA_NS}}}calledElementVersion") or "").strip()
    return int(text) if text.isdigit() else None


def _is_executable(process: Any) -> bool:
    """A process is executable unless it says isExecutable="false" (the BPMN default is true)."""
    return bool((process.get("isExecutable") or "true").strip().lower() != "false")


def read_source(source: Path | str | bytes) -> tuple[str, bytes]:
    """The diagram's name and bytes, from a path, an XML string or bytes."""
    if isinstance(source, Path):
        return source.name, source.read_bytes()
    if isinstance(source, str):
        return "<string>", source.encode("utf-8")
    if isinstance(source, bytes | bytearray):
        return "<bytes>", bytes(source)
    raise DiagramInvalid([Problem.of("not_a_source", type=type(source).__name__)])


def _declared_encoding(raw: bytes) -> str | None:
    """The encoding the XML declaration names, if the bytes start with one."""
    head = raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:200]
    match = re.match(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']", head)
    return match.group(1).decode("ascii") if match else None


def decode_text(name: str, raw: bytes) -> str:
    """The diagram as text, in the encoding its XML declaration names (UTF-8 when it names none)."""
    declared = _declared_encoding(raw) or "UTF-8"
    try:
        codec = codecs.lookup(declared).name
    except LookupError:
        raise DiagramInvalid([Problem.of("unknown_encoding", file=name, encoding=declared)]) from None
    try:
        return raw.decode("utf-8-sig" if codec == "utf-8" else codec)
    except UnicodeDecodeError as exc:
        if _declared_encoding(raw):
            problem = Problem.of("wrong_encoding", file=name, encoding=declared, byte=exc.start)
        else:
            problem = Problem.of("not_utf8", file=name, byte=exc.start)
        raise DiagramInvalid([problem]) from None


def parse_xml(name: str, raw: bytes) -> Any:
    """Parse diagram bytes safely: in their declared encoding, no DOCTYPE or entities, no network."""
    if len(raw) > MAX_BYTES:
        raise DiagramInvalid([Problem.of("too_large", file=name, size=len(raw), limit=MAX_BYTES)])
    text = decode_text(name, raw)
    # Refused before parsing, whatever the XML library's defaults are: DOCTYPE carries
    # external entities, entity expansion bombs and parameter entities.
    if re.search(r"<!DOCTYPE|<!ENTITY", text, re.IGNORECASE):
        raise DiagramInvalid([Problem.of("doctype", file=name)])
    # lxml reads the declaration again: hand it UTF-8 bytes with a declaration that says so.
    text = re.sub(r"^(\s*<\?xml[^>]*?encoding\s*=\s*)[\"'][^\"']*[\"']", r'\1"UTF-8"', text, count=1)
    try:
        root = etree.fromstring(text.encode("utf-8"), safe_parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        raise DiagramInvalid([Problem.of("not_well_formed", line=line, file=name, detail=exc.msg)]) from None
    return root.getroottree()


def _ns(tag: str) -> str:
    return tag[1:].split("}")[0] if tag.startswith("{") else ""


def _local(tag: Any) -> str:
    return tag.split("}")[-1] if isinstance(tag, str) else ""


#: Namespaces whose markup a browser would run or a processor would follow: refused anywhere
#: in a diagram (vendor extensions such as zeebe, signavio or bpmn-js colours stay allowed).
ACTIVE_NAMESPACES = {
    "http://www.w3.org/1999/xhtml": "XHTML",
    "http://www.w3.org/2000/svg": "SVG",
    "http://www.w3.org/1999/XSL/Transform": "XSLT",
    "http://www.w3.org/2001/XInclude": "XInclude",
    "http://www.w3.org/2003/XInclude": "XInclude",
}


def _check_active_content(root: Any, name: str) -> list[Problem]:
    """Every element, attribute or stylesheet instruction in a browser-active namespace."""
    problems: list[Problem] = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            if getattr(el, "target", None) == "xml-stylesheet":
                problems.append(Problem.of("stylesheet", line=el.sourceline, file=name))
            continue
        names = [el.tag, *el.attrib.keys()]
        for qname in names:
            kind = ACTIVE_NAMESPACES.get(_ns(qname))
            if kind:
                problems.append(Problem.of("active_markup", _owner_id(el), el.sourceline, name,
                                           kind=kind, tag=_local(qname)))
    # Instructions before the root element are siblings, not descendants.
    node = root.getprevious()
    while node is not None:
        if getattr(node, "target", None) == "xml-stylesheet":
            problems.append(Problem.of("stylesheet", line=node.sourceline, file=name))
        node = node.getprevious()
    return problems


def _check_ids(root: Any, name: str) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        ident = el.get("id")
        # Ids of extension elements (camunda form fields, properties) are local to their form.
        if ident is None or _ns(el.tag) == CAMUNDA_NS:
            continue
        if ident in seen:
            problems.append(
                Problem.of("duplicate_id", ident, el.sourceline, name, first=seen[ident])
            )
        else:
            seen[ident] = el.sourceline
        if ident in RESERVED_IDS and _ns(el.tag) == BPMN_NS:
            problems.append(
                Problem.of("reserved_id", ident, el.sourceline, name, id=ident)
            )
    return problems


def _check_flows(root: Any, name: str) -> list[Problem]:
    problems: list[Problem] = []
    for process in root.iter(f"{{{BPMN_NS}}}process", f"{{{BPMN_NS}}}subProcess"):
        ids = {el.get("id") for el in process.iter() if isinstance(el.tag, str) and el.get("id")}
        for flow in process.findall(f"{{{BPMN_NS}}}sequenceFlow"):
            for attr in ("sourceRef", "targetRef"):
                ref = flow.get(attr)
                if not ref:
                    problems.append(Problem.of("flow_without_end", flow.get("id"), flow.sourceline, name, attr=attr))
                elif ref not in ids:
                    problems.append(
                        Problem.of("flow_to_missing", flow.get("id"), flow.sourceline, name, attr=attr, ref=ref)
                    )
    return problems


def _owner_id(el: Any) -> str | None:
    node = el
    while node is not None:
        if node.get("id") and _local(node.tag) not in {"timerEventDefinition", "conditionExpression"}:
            return str(node.get("id"))
        node = node.getparent()
    return None


def _check_timer(expr_el: Any, name: str) -> list[Problem]:
    text = (expr_el.text or "").strip()
    element = _owner_id(expr_el)
    kind = _local(expr_el.tag)
    where: dict[str, Any] = dict(element_id=element, line=expr_el.sourceline, file=name)
    if not text:
        return [Problem.of("timer_empty", **where, kind=kind)]
    if not text.startswith(("'", '"')) and (ISO_LITERAL.match(text) or _is_iso_datetime(text)):
        # Camunda writes timers as bare ISO 8601 (PT2H, R6/P1D, a date): read them as literals.
        expr_el.text = text = repr(text)
    try:
        compile_expression(text)
    except ScriptFailed as exc:
        return [Problem.of("timer_expression", **where, kind=kind, detail=exc)]
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return []
    if isinstance(tree.body, ast.Constant) and isinstance(tree.body.value, str):
        value = tree.body.value
        try:
            if kind == "timeCycle":
                cycles, _start, duration = TimerEventDefinition.parse_iso_recurring_interval(value)
                if duration.total_seconds() <= 0:
                    return [Problem.of("timer_zero_cycle", **where, value=value)]
            elif kind == "timeDuration":
                TimerEventDefinition.parse_iso_duration(value)
            else:
                TimerEventDefinition.get_datetime(value)
        except Exception as exc:  # the Spiff parsers raise assorted types
            return [Problem.of("timer_not_iso", **where, kind=kind, value=value, detail=exc)]
    return []


def _is_iso_datetime(text: str) -> bool:
    """True for a bare ISO 8601 date and time (2026-03-01T09:00:00+08:00), as Camunda writes timeDate."""
    if not re.match(r"^\d{4}-\d{2}-\d{2}T", text):
        return False
    try:
        TimerEventDefinition.get_datetime(text)
    except (TypeError, ValueError):
        return False
    return True


def _check_expressions(root: Any, name: str) -> list[Problem]:
    problems: list[Problem] = []
    for kind in ("timeDate", "timeDuration", "timeCycle"):
        for el in root.iter(f"{{{BPMN_NS}}}{kind}"):
            problems.extend(_check_timer(el, name))
    for el in root.iter(f"{{{BPMN_NS}}}conditionExpression"):
        text = (el.text or "").strip()
        flow = el.getparent()
        try:
            compile_expression(text)
        except ScriptFailed as exc:
            problems.append(Problem.of("condition_expression", flow.get("id"), el.sourceline, name, detail=exc))
    for el in root.iter(f"{{{BPMN_NS}}}script"):
        task = el.getparent()
        try:
            compile_script(el.text or "")
        except ScriptFailed as exc:
            problems.append(Problem.of("script_refused", task.get("id"), el.sourceline, name, detail=exc))
    for el in root.iter(f"{{{BPMN_NS}}}userTask", f"{{{BPMN_NS}}}manualTask"):
        for attr in ("dueDate", "assignee"):
            text = el.get(f"{{{CAMUNDA_NS}}}{attr}")
            if text:
                try:
                    compile_expression(text)
                except ScriptFailed as exc:
                    problems.append(Problem.of("task_expression", el.get("id"), el.sourceline, name,
                                               attr=attr, detail=exc))
        for f in fields_of({"form": _form_fields(el)}):
            problems.extend(Problem.of(code, el.get("id"), el.sourceline, name, **params)
                            for code, params in declaration_problems(f))
    return problems


def _spiff_problem(exc: Exception, name: str) -> Problem:
    if "RecursionError" in str(exc) or isinstance(exc.__cause__, RecursionError):
        return Problem.of("too_long", getattr(exc, "id", None) or None, None, name)
    if isinstance(exc, ValidationException):
        line = exc.line_number if isinstance(exc.line_number, int) and exc.line_number else None
        return Problem.of("parser", exc.id or None, line, name, detail=exc.args[0] if exc.args else exc)
    return Problem.of("parser", None, None, name, detail=exc)


def parse_diagram(
    source: Path | str | bytes,
    decisions: list[tuple[str, bytes]] | None = None,
    resolve_calls: Callable[[ParsedDiagram], list[Problem]] | None = None,
) -> tuple[ParsedDiagram, BpmnDmnParser]:
    """Validate a diagram fully; return it with a Spiff parser (of the file's dialect) that has it loaded.

    `decisions` are already deployed DMN files that BPMN business rule tasks may use.
    Call activities whose process is not in the file are listed in `external_calls`;
    `resolve_calls` says what is wrong with them (the deployments know what is deployed).
    Raises DiagramInvalid with every problem found.
    """
    name, raw = read_source(source)
    tree = parse_xml(name, raw)
    root = tree.getroot()
    namespace, local = _ns(root.tag), _local(root.tag)
    if local != "definitions" or (namespace != BPMN_NS and namespace not in DMN_NAMESPACES):
        raise DiagramInvalid([Problem.of("not_bpmn_or_dmn", file=name, root=local)])
    kind = "bpmn" if namespace == BPMN_NS else "dmn"
    problems = _check_active_content(root, name) + _check_ids(root, name)
    diagram = ParsedDiagram(name, kind, raw, hashlib.sha256(raw).hexdigest(), tree)
    parser = parser_for(root if kind == "bpmn" else None)
    if kind == "dmn":
        diagram.decision_ids = [d.get("id") for d in root.iter(f"{{{namespace}}}decision") if d.get("id")]
        if not diagram.decision_ids:
            problems.append(Problem.of("no_decision", file=name))
        # A Camunda Modeler table's FEEL becomes product expressions before SpiffWorkflow reads it.
        problems += camunda_dialect.translate_dmn(root, name)
        if problems:
            raise DiagramInvalid(problems)
        try:
            parser.add_dmn_xml(root, filename=name)
            for decision_id in diagram.decision_ids:
                parser.get_engine(decision_id, root)
        except (SpiffWorkflowException, Exception) as exc:  # Spiff raises assorted errors
            raise DiagramInvalid([_spiff_problem(exc, name)]) from None
        return diagram, parser

    problems += _check_flows(root, name)
    structural = bool(problems)
    # Camunda's JUEL and Zeebe's FEEL become product expressions before anything reads them.
    problems += camunda_dialect.translate(root, name)
    problems += _check_expressions(root, name)
    processes = root.findall(f"{{{BPMN_NS}}}process")
    executable = [p for p in processes if _is_executable(p)]
    if not executable:
        problems.append(Problem.of("no_executable_process", file=name))
    calls = _external_calls(root)
    diagram.external_calls = {p.get("id"): calls for p in executable if calls}
    for decision_name, decision_raw in decisions or []:
        decision_root = parse_xml(decision_name, decision_raw).getroot()
        camunda_dialect.translate_dmn(decision_root, decision_name)  # deployed: it translated then
        parser.add_dmn_xml(decision_root, filename=decision_name)
    # SpiffWorkflow reads the file even when its expressions have problems, so that its findings
    # are listed too; broken ids or flows it cannot read (ours say why).
    spiff = _spiff_parse(parser, root, name, executable, diagram) if not structural and executable else []
    problems += [p for p in spiff if (p.element_id, p.message) not in {(q.element_id, q.message) for q in problems}]
    if resolve_calls is not None:
        problems += resolve_calls(diagram)
    if problems:
        raise DiagramInvalid(problems)
    return diagram, parser


def _external_calls(root: Any) -> list[CalledElement]:
    """Call activities whose called process is not in this file (every executable process of the
    file may reach them: each gets their specs)."""
    local = {p.get("id") for p in root.iter(f"{{{BPMN_NS}}}process")}
    return [
        CalledElement(el.get("calledElement"), el.get("id"), el.sourceline, _called_version(el))
        for el in root.iter(f"{{{BPMN_NS}}}callActivity")
        if el.get("calledElement") and el.get("calledElement") not in local
    ]


def _spiff_parse(
    parser: BpmnDmnParser, root: Any, name: str, executable: list[Any], diagram: ParsedDiagram
) -> list[Problem]:
    """Let SpiffWorkflow build every executable process; its refusal as a problem."""
    old_limit = sys.getrecursionlimit()
    try:
        parser.add_bpmn_xml(root, filename=name)
        for process in executable:
            pid = process.get("id")
            parser.get_spec(pid)
            parser.get_subprocess_specs(pid, require_call_activity_specs=False)
            diagram.process_ids.append(pid)
            diagram.process_names[pid] = process.get("name")
    except RecursionError:
        return [Problem.of("too_long", file=name)]
    except (ValidationException, SpiffWorkflowException) as exc:
        return [_spiff_problem(exc, name)]
    except (KeyError, ValueError, AttributeError, TypeError) as exc:
        return [Problem.of("cannot_build", file=name, error=type(exc).__name__, detail=exc)]
    finally:
        sys.setrecursionlimit(old_limit)
    return []


def element_metadata(root: Any) -> dict[str, dict[str, Any]]:
    """Per flow node: type, name, documentation; for human tasks lane, groups, form."""
    lanes: dict[str, str] = {}
    for lane in root.iter(f"{{{BPMN_NS}}}lane"):
        # `lane_<role>` at the top level, `<stage>_lane_<role>` inside a stage: the role is the word.
        ident = lane.get("id") or ""
        word = ident.partition("lane_")[2] or ident
        for ref in lane.findall(f"{{{BPMN_NS}}}flowNodeRef"):
            lanes[(ref.text or "").strip()] = word
    messages = {m.get("id"): m.get("name") or m.get("id") for m in root.iter(f"{{{BPMN_NS}}}message")}
    result: dict[str, dict[str, Any]] = {}
    for el in root.iter():
        if not isinstance(el.tag, str) or _ns(el.tag) != BPMN_NS or not el.get("id"):
            continue
        local = _local(el.tag)
        if local in {"definitions", "lane", "laneSet", "collaboration", "participant", "sequenceFlow"}:
            continue
        ident = el.get("id")
        doc = el.find(f"{{{BPMN_NS}}}documentation")
        meta: dict[str, Any] = {"type": local, "name": el.get("name")}
        if doc is not None and doc.text:
            meta["documentation"] = doc.text.strip()
        lane = _lane_of(el, lanes)
        if lane:
            meta["lane"] = lane
        if local == "serviceTask":
            meta["topic"] = _topic(el)
        message = _message_caught(el, local, messages)
        if message is not None:
            meta["message"] = message
            if local == "startEvent" and _local(el.getparent().tag) == "process":
                meta["message_start"] = True
        if local in HUMAN_TAGS:
            groups = el.get(f"{{{CAMUNDA_NS}}}candidateGroups")
            if groups:
                meta["candidate_groups"] = [g.strip() for g in groups.split(",") if g.strip()]
            elif lane:
                meta["candidate_groups"] = [lane]
            else:
                meta["candidate_groups"] = []
            if not lane and meta["candidate_groups"]:
                # a task drawn outside any lane (a sub-process beside the stages) is in its group's lane
                meta["lane"] = meta["candidate_groups"][0]
            meta["assignee"] = el.get(f"{{{CAMUNDA_NS}}}assignee")
            meta["due_date"] = el.get(f"{{{CAMUNDA_NS}}}dueDate")
            meta["form"] = _form_fields(el)
            form_key = el.get(f"{{{CAMUNDA_NS}}}formKey") or _zeebe_form_key(el)
            if form_key:
                meta["form_key"] = form_key
            approves = el.find("bpmn:extensionElements/camunda:properties/camunda:property[@name='approves']", NS)
            if approves is not None and approves.get("value"):
                meta["approves"] = [k.strip() for k in approves.get("value").split(",") if k.strip()]
        if local == "process":
            meta["computed"] = _computed_fields(el)
        result[ident] = meta
    return result


def _message_caught(el: Any, local: str, messages: dict[str, str]) -> str | None:
    """The name of the message an element waits for (receive task, catch, boundary or start event)."""
    if local == "receiveTask":
        ref = el.get("messageRef")
    elif local in {"intermediateCatchEvent", "boundaryEvent", "startEvent"}:
        definition = el.find(f"{{{BPMN_NS}}}messageEventDefinition")
        ref = definition.get("messageRef") if definition is not None else None
    else:
        return None
    return messages.get(ref, ref) if ref else None


def _zeebe_form_key(task: Any) -> str | None:
    """A Camunda 8 user task's linked form (zeebe:formDefinition formKey or formId)."""
    form = task.find(f".//{{{ZEEBE_NS}}}formDefinition")
    return None if form is None else form.get("formKey") or form.get("formId")


def _topic(task: Any) -> str:
    """The topic workers fetch a service task by: camunda:topic, Zeebe's task type, else its id."""
    zeebe = task.find(f".//{{{ZEEBE_NS}}}taskDefinition")
    zeebe_type = zeebe.get("type") if zeebe is not None else None
    return str(task.get(f"{{{CAMUNDA_NS}}}topic") or zeebe_type or task.get("id"))


def _lane_of(el: Any, lanes: dict[str, str]) -> str | None:
    """The lane of an element: its own, else that of the sub-process it sits in."""
    node = el
    while node is not None:
        ident = node.get("id") if isinstance(node.tag, str) else None
        if ident in lanes:
            return lanes[ident]
        node = node.getparent()
    return None


def _computed_fields(process: Any) -> list[str]:
    """The fields a process declares as computed (docs/forms.md, "who writes what")."""
    names: list[str] = []
    for prop in process.iterfind("bpmn:extensionElements/camunda:properties/camunda:property", NS):
        if prop.get("name") == "computed":
            names += [n.strip() for n in (prop.get("value") or "").split(",") if n.strip()]
    return names


def _form_fields(task: Any) -> list[dict[str, Any]]:
    fields: list[dict[str, Any]] = []
    for f in task.iterfind(".//camunda:formData/camunda:formField", NS):
        props = {p.get("id"): p.get("value") for p in f.iterfind("camunda:properties/camunda:property", NS)}
        rules = {c.get("name"): c.get("config") or "" for c in f.iterfind("camunda:validation/camunda:constraint", NS)}
        fields.append(
            {
                "id": f.get("id"),
                "label": f.get("label") or f.get("id"),
                "type": f.get("type") or "string",
                "required": "required" in rules,
                "default": f.get("defaultValue"),
                "options": [(v.get("id"), v.get("name")) for v in f.iterfind("camunda:value", NS)],
                "properties": props,
                "rules": rules,
            }
        )
    return fields
