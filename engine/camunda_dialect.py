"""Camunda Modeler's expression dialect, rewritten at deploy into the product's expression language.

A file made by Camunda Modeler (its `exporter`, its `modeler:executionPlatform`, or any `${…}`
in it) writes JUEL: `${x > 1}` in conditions, a fixed user name in `camunda:assignee`, `${…}` in
due dates, timers and called elements. A Camunda 8 (Zeebe) file writes FEEL (`=x > 1`). Both are
translated in the parsed tree before SpiffWorkflow reads it (`juel.translate_juel`), so a run only
ever evaluates product expressions. The product's own files (exporter Anjie, no `${…}`) keep their
expressions as written. Scripts in a language other than Python are refused.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import Problem
from .juel import Untranslatable, is_juel, translate_feel, translate_juel

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
MODELER_NS = "http://camunda.org/schema/modeler/1.0"

#: userTask attributes that hold an expression (or, in Camunda's files, a literal).
_TASK_ATTRIBUTES = ("assignee", "dueDate", "followUpDate")
_SCRIPT_LANGUAGES = {"", "python", "text/x-python", "application/x-python"}


def _owner(el: Any) -> str | None:
    node = el
    while node is not None:
        if isinstance(node.tag, str) and node.get("id"):
            return str(node.get("id"))
        node = node.getparent()
    return None


def speaks_juel(root: Any) -> bool:
    """True for a file Camunda Modeler made, or one that writes `${…}` anywhere."""
    exporter = root.get("exporter") or ""
    if "camunda" in exporter.lower() or root.get(f"{{{MODELER_NS}}}executionPlatform"):
        return True
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if is_juel(el.text) or any(is_juel(v) for v in el.attrib.values()):
            return True
    return False


def speaks_feel(root: Any) -> bool:
    """True for a Camunda 8 file (it uses zeebe: extensions)."""
    return any(isinstance(el.tag, str) and el.tag.startswith(f"{{{ZEEBE_NS}}}") for el in root.iter())


def translate(root: Any, name: str) -> list[Problem]:
    """Rewrite the tree's JUEL or FEEL into product expressions, in place; what cannot be, as problems."""
    problems = _refuse_scripts(root, name) + _refuse_candidate_users(root, name)
    juel, feel = speaks_juel(root), speaks_feel(root)
    if not juel and not feel:
        return problems

    def rewrite(el: Any, text: str, always: bool, put: Any, what: str) -> None:
        try:
            if juel and (always or is_juel(text)):
                put(translate_juel(text))
            elif feel and text.strip().startswith("="):
                put(translate_feel(text))
        except Untranslatable as exc:
            problems.append(Problem.of("foreign_expression", _owner(el), el.sourceline, name,
                                       what=what, text=repr(text.strip()), detail=exc))

    def set_text(el: Any) -> Any:
        return lambda value: setattr(el, "text", value)

    def set_attr(el: Any, attr: str) -> Any:
        return lambda value: el.set(attr, value)

    for el in root.iter(f"{{{BPMN_NS}}}conditionExpression"):
        rewrite(el, el.text or "", False, set_text(el), "condition")
    for kind in ("timeDate", "timeDuration", "timeCycle"):
        for el in root.iter(f"{{{BPMN_NS}}}{kind}"):
            rewrite(el, el.text or "", False, set_text(el), f"timer {kind}")
    for el in root.iter(f"{{{BPMN_NS}}}userTask", f"{{{BPMN_NS}}}manualTask"):
        for attr in _TASK_ATTRIBUTES:
            qualified = f"{{{CAMUNDA_NS}}}{attr}"
            text = el.get(qualified)
            if text:
                # In Camunda a value without ${…} is a literal: camunda:assignee="demo" is a user.
                rewrite(el, text, True, set_attr(el, qualified), f"camunda:{attr}")
        for attr in ("candidateGroups", "candidateUsers"):
            text = el.get(f"{{{CAMUNDA_NS}}}{attr}")
            if text and is_juel(text):
                problems.append(Problem.of("expression_in_groups", el.get("id"), el.sourceline, name,
                                           source=f"camunda:{attr}", attr=attr, text=repr(text)))
        _zeebe_assignment(el, feel, problems, name)
    for el in root.iter(f"{{{BPMN_NS}}}callActivity"):
        _called_element(el, problems, name)
    return problems


def _zeebe_assignment(task: Any, feel: bool, problems: list[Problem], name: str) -> None:
    """A Zeebe user task's assignee and due date, as the product's camunda: attributes."""
    if not feel:
        return
    for assignment in task.iter(f"{{{ZEEBE_NS}}}assignmentDefinition"):
        for attr in ("assignee", "candidateGroups"):
            text = assignment.get(attr)
            if not text:
                continue
            if attr == "candidateGroups" and not text.strip().startswith("="):
                task.set(f"{{{CAMUNDA_NS}}}candidateGroups", text)
                continue
            try:
                value = translate_feel(text)
            except Untranslatable as exc:
                problems.append(Problem.of("foreign_expression", task.get("id"), task.sourceline, name,
                                           what=f"zeebe {attr}", text=repr(text), detail=exc))
                continue
            if attr == "candidateGroups":
                problems.append(Problem.of("expression_in_groups", task.get("id"), task.sourceline, name,
                                           source="zeebe candidateGroups", attr="candidateGroups", text=repr(text)))
            else:
                task.set(f"{{{CAMUNDA_NS}}}assignee", value)
    for schedule in task.iter(f"{{{ZEEBE_NS}}}taskSchedule"):
        due = schedule.get("dueDate")
        if due:
            try:
                task.set(f"{{{CAMUNDA_NS}}}dueDate", translate_feel(due))
            except Untranslatable as exc:
                problems.append(Problem.of("foreign_expression", task.get("id"), task.sourceline, name,
                                           what="zeebe dueDate", text=repr(due), detail=exc))


def _called_element(el: Any, problems: list[Problem], name: str) -> None:
    """`calledElement="${'review'}"` names a process; a computed one cannot be resolved at deploy."""
    text = el.get("calledElement") or ""
    zeebe = el.find(f".//{{{ZEEBE_NS}}}calledElement")
    if not text and zeebe is not None:
        text = zeebe.get("processId") or ""
        if text and not text.startswith("="):
            el.set("calledElement", text)
            return
    if not (is_juel(text) or text.startswith("=")):
        return
    try:
        value = translate_juel(text) if is_juel(text) else translate_feel(text)
    except Untranslatable as exc:
        problems.append(Problem.of("foreign_expression", el.get("id"), el.sourceline, name,
                                   what="calledElement", text=repr(text), detail=exc))
        return
    literal = value[1:-1] if len(value) > 1 and value[0] == value[-1] and value[0] in "'\"" else None
    if literal is None or "'" in literal or '"' in literal:
        problems.append(Problem.of("computed_called_element", el.get("id"), el.sourceline, name, text=repr(text)))
        return
    el.set("calledElement", literal)


def _refuse_candidate_users(root: Any, name: str) -> list[Problem]:
    """Candidate users, in any file: the product offers tasks to groups (or names an assignee)."""
    problems = []
    for el in root.iter(f"{{{BPMN_NS}}}userTask", f"{{{BPMN_NS}}}manualTask"):
        users = el.get(f"{{{CAMUNDA_NS}}}candidateUsers")
        if users and not is_juel(users):
            problems.append(Problem.of("candidate_users", el.get("id"), el.sourceline, name, users=repr(users)))
    return problems


def _refuse_scripts(root: Any, name: str) -> list[Problem]:
    """Scripts the product cannot run: every language but Python (Groovy, JavaScript, JUEL)."""
    problems = []
    for el in root.iter(f"{{{BPMN_NS}}}scriptTask"):
        language = (el.get("scriptFormat") or "").strip().lower()
        if language not in _SCRIPT_LANGUAGES:
            problems.append(Problem.of("script_language", el.get("id"), el.sourceline, name, language=language))
    for el in root.iter(f"{{{CAMUNDA_NS}}}script"):
        language = (el.get("scriptFormat") or "").strip().lower()
        if language not in _SCRIPT_LANGUAGES:
            problems.append(Problem.of("script_language", _owner(el), el.sourceline, name, language=language))
    return problems


# -- DMN: FEEL unary tests of a Camunda Modeler decision table --------------------------------

DMN_CAMUNDA_NS = "http://camunda.org/schema/1.0/dmn"
_RANGE = re.compile(r"^([\[\](])\s*(.+?)\s*\.\.\s*(.+?)\s*([\[\])])$", re.S)
_COMPARISON = re.compile(r"^(<=|>=|<|>|!=|=)\s*(.+)$", re.S)


def speaks_feel_dmn(root: Any) -> bool:
    """True for a decision table Camunda Modeler made (its tests and outputs are FEEL)."""
    exporter = root.get("exporter") or ""
    language = (root.get("expressionLanguage") or "").lower()
    return "camunda" in exporter.lower() or root.get("namespace") == DMN_CAMUNDA_NS or "feel" in language


def translate_dmn(root: Any, name: str) -> list[Problem]:
    """Rewrite a Camunda decision table's FEEL (input expressions, unary tests, outputs) in place
    into the product's expressions: `"a","b"` is one of, `[5..8]` a range, `not(…)` none of."""
    if not speaks_feel_dmn(root):
        return []
    problems: list[Problem] = []
    ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    for kind, translate_one in (("inputExpression", _feel_value), ("inputEntry", unary_tests),
                                ("outputEntry", _feel_value)):
        for el in root.iter(f"{{{ns}}}{kind}"):
            text_el = el.find(f"{{{ns}}}text")
            text = (text_el.text or "").strip() if text_el is not None else ""
            if not text or (kind == "inputEntry" and text == "-"):
                continue
            try:
                text_el.text = translate_one(text)
            except Untranslatable as exc:
                problems.append(Problem.of("foreign_expression", _owner(el), el.sourceline, name,
                                           what=kind, text=repr(text), detail=exc))
    return problems


def _feel_value(text: str) -> str:
    return translate_feel("=" + text)


def unary_tests(text: str) -> str:
    """A FEEL unary-tests cell as a SpiffWorkflow DMN test on `?` (the input's value)."""
    stripped = text.strip()
    if stripped.startswith("not(") and stripped.endswith(")"):
        return f"not ({unary_tests(stripped[4:-1])})"
    tests = [_unary_test(part) for part in _top_level_split(stripped)]
    return tests[0] if len(tests) == 1 else "(" + " or ".join(tests) + ")"


def _unary_test(text: str) -> str:
    found = _RANGE.match(text)
    if found:
        low_op = ">=" if found.group(1) == "[" else ">"
        high_op = "<=" if found.group(4) == "]" else "<"
        return f"(? {low_op} {_feel_value(found.group(2))} and ? {high_op} {_feel_value(found.group(3))})"
    found = _COMPARISON.match(text)
    if found:
        op = "==" if found.group(1) == "=" else found.group(1)
        return f"(? {op} {_feel_value(found.group(2))})"
    return f"(? == {_feel_value(text)})"


def _top_level_split(text: str) -> list[str]:
    """Split at commas outside quotes and brackets."""
    parts, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote and text[i - 1] != "\\" else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]" and depth:
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]
