"""Diagram dialects: which SpiffWorkflow parser reads a file, and a serializer registry for all of them.

SpiffWorkflow ships three parsers: plain BPMN, Camunda (camunda: extensions) and its own
(spiffworkflow: extensions). A file is read by the one whose extensions it uses; one that uses
none is read as plain BPMN, which accepts standard constructs (multi-instance over
`loopDataInputRef`) the Camunda parser refuses. Each parser builds its own task spec classes,
and several of them share a class name (`UserTask`, `ScriptTask`, `MessageEventDefinition`),
so the stored spec names the classes the Camunda configuration does not know with a prefix: `Bpmn.` for plain BPMN's,
`Spiff.` for SpiffWorkflow's own. Names already stored (Camunda's) keep their meaning.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.serializer.config import DEFAULT_CONFIG
from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnTaskSpecConverter
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG as CAMUNDA_CONFIG
from SpiffWorkflow.dmn.parser.BpmnDmnParser import BpmnDmnParser
from SpiffWorkflow.spiff.parser.process import VALIDATOR as SPIFF_VALIDATOR
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"

_camunda_validator: BpmnValidator | None = None


def _validator() -> BpmnValidator:
    global _camunda_validator
    if _camunda_validator is None:
        _camunda_validator = BpmnValidator()
    return _camunda_validator


def dialect_of(root: Any) -> str:
    """`spiff` or `camunda` when the file uses that tool's extension elements or attributes
    (declaring the namespace is not using it), else `bpmn`."""
    used = set()
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for name in (el.tag, *el.attrib):
            if name.startswith("{"):
                used.add(name[1:].split("}")[0])
    if SPIFF_NS in used:
        return "spiff"
    return "camunda" if CAMUNDA_NS in used else "bpmn"


def parser_for(root: Any | None) -> BpmnDmnParser:
    """A fresh parser for the file's dialect (Camunda's for DMN)."""
    dialect = "camunda" if root is None else dialect_of(root)
    if dialect == "spiff":
        return SpiffBpmnParser(validator=SPIFF_VALIDATOR)
    if dialect == "bpmn":
        return BpmnDmnParser(validator=_validator())
    return CamundaParser(validator=_validator())


def register_all_dialects(registry: Any) -> None:
    """Teach a registry configured from Camunda's config every class the other parsers build."""
    known = set(CAMUNDA_CONFIG)
    for cls, converter in DEFAULT_CONFIG.items():
        if cls not in known:
            converter(cls, registry, typename=f"Bpmn.{cls.__name__}")
    # Plain BPMN's service task does nothing when it runs; no configuration names it.
    BpmnTaskSpecConverter(ServiceTask, registry)
    for cls, converter in SPIFF_CONFIG.items():
        if cls not in known and cls not in DEFAULT_CONFIG:
            converter(cls, registry, typename=f"Spiff.{cls.__name__}")
