"""Task forms as the diagram declares them (docs/forms.md): typed defaults, typed values, rules.

The one implementation of the form contract. Deployment refuses a form this module cannot read;
`Engine.complete` passes every submission (web, API, CLI) through `accept`, and the web app
draws initial values with `initial_value`. Problems carry a message key (`FieldProblem.code`)
that the web app translates, so the engine stays free of any language.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .errors import DataInvalid
from .views import FormField

#: The field types of docs/forms.md.
TYPES = frozenset({"string", "long", "boolean", "date", "enum", "user", "file", "document", "campaign"})
#: The rules (camunda:constraint names) of docs/forms.md, and whether each needs a config.
RULES: dict[str, bool] = {"required": False, "min": True, "max": True, "minlength": True,
                          "maxlength": True, "pattern": True, "not_future": False,
                          "not_past": False, "required_if": True, "readonly": False}
TRUE_WORDS = frozenset({"true", "on", "1", "yes"})
FALSE_WORDS = frozenset({"false", "off", "0", "no", ""})


@dataclass(frozen=True)
class FieldProblem:
    """Why one field's value was refused: a message key and the rule's limit, if it has one.

    Keys: required, not_a_number, not_a_boolean, not_a_date, not_an_option, min, max,
    minlength, maxlength, pattern, not_future, not_past, unknown_user, not_a_document, not_a_campaign.
    """

    code: str
    limit: str | None = None


class FormInvalid(DataInvalid):
    """A submission broke one or more of its form's rules; `.problems` maps field ids to why."""

    def __init__(self, problems: dict[str, FieldProblem]) -> None:
        self.problems = problems
        first, problem = next(iter(problems.items()))
        super().__init__(problem.code + (f" {problem.limit}" if problem.limit else ""), field=first)
        self.code = problem.code


@dataclass(frozen=True)
class FormContext:
    """What checking a form needs besides the values: today's Beijing date, who holds which
    role, the ids of the case's documents, and the case data the task sees now."""

    today: date
    holds_role: Callable[[str, str], bool]
    documents: Collection[str] = ()
    current: Mapping[str, Any] = field(default_factory=dict)
    #: True for the id of a running campaign (a `campaign` field names one); None: not checked.
    running_campaign: Callable[[str], bool] | None = None


def fields_of(meta: dict[str, Any]) -> list[FormField]:
    """The form of an element's metadata. Metadata stored before rules had their own key kept
    them as `constraint_<name>` properties and a `required` flag; both read the same."""
    fields: list[FormField] = []
    for f in meta.get("form") or []:
        props = dict(f.get("properties") or {})
        rules = f.get("rules")
        if rules is None:
            rules = {k.removeprefix("constraint_"): props.pop(k) for k in list(props) if k.startswith("constraint_")}
            if f.get("required"):
                rules["required"] = ""
        fields.append(FormField(id=f["id"], label=f["label"], type=f["type"], required=f["required"],
                                default=f.get("default"), options=[tuple(o) for o in f.get("options") or []],
                                properties=props, rules=dict(rules)))
    return fields


def process_defaults(elements: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The typed default of every form field of a process (its element metadata), by field id:
    what an expression reads for a field nobody has filled yet. The first form declaring a
    field gives its default."""
    defaults: dict[str, Any] = {}
    for meta in elements.values():
        if not meta.get("form"):
            continue
        for f in fields_of(dict(meta)):
            if f.id not in defaults:
                try:
                    defaults[f.id] = typed_default(f)
                except ValueError:  # refused at deploy; metadata stored before the check had it
                    defaults[f.id] = None
    return defaults


def declaration_problems(f: FormField) -> list[tuple[str, dict[str, str]]]:
    """What is wrong with one declared field (unknown type or rule, unparsable default), as
    problem codes of engine/problem_texts.py with their parameters."""
    problems: list[tuple[str, dict[str, str]]] = []
    if f.type not in TYPES:
        problems.append(("form_unknown_type", {"field": f.id, "type": f.type, "types": ", ".join(sorted(TYPES))}))
        return problems
    for name, config in f.rules.items():
        if name not in RULES:
            problems.append(("form_unknown_rule", {"field": f.id, "rule": name}))
        elif RULES[name] and not config:
            problems.append(("form_rule_needs_config", {"field": f.id, "rule": name}))
        elif name in ("min", "max", "minlength", "maxlength") and not _is_int(config):
            problems.append(("form_rule_needs_number", {"field": f.id, "rule": name, "config": config}))
        elif name == "pattern":
            try:
                re.compile(config)
            except re.error as exc:
                problems.append(("form_bad_pattern", {"field": f.id, "detail": str(exc)}))
    if f.type == "user" and not f.properties.get("role"):
        problems.append(("form_user_needs_role", {"field": f.id}))
    if f.default is not None:
        try:
            typed_default(f)
        except ValueError:
            problems.append(("form_bad_default", {"field": f.id, "default": f.default, "type": f.type}))
    return problems


def typed_default(f: FormField) -> Any:
    """The field's defaultValue as its type stores it; a boolean without one is False.

    Raises ValueError for a default that does not convert (deployment refuses those).
    """
    if f.default is None or f.default == "":
        return False if f.type == "boolean" else None
    if f.type in ("user", "file", "document", "campaign"):
        raise ValueError(f"{f.type} fields take no default")
    if f.type == "boolean" and f.default.strip().lower() not in ("true", "false"):
        raise ValueError("a boolean default is true or false")
    problem, value = _convert(f, f.default)
    if problem is not None:
        raise ValueError(problem.code)
    return value


def initial_value(f: FormField, data: Mapping[str, Any]) -> Any:
    """What the form shows first: the case's current value, else the typed default.

    A `history` field starts from its default on every pass; its earlier answers are history.
    """
    if f.id in data and data[f.id] is not None and f.properties.get("history") != "true":
        return data[f.id]
    return typed_default(f)


def accept(fields: list[FormField], submitted: Mapping[str, Any], ctx: FormContext) -> dict[str, Any]:
    """Typed, checked data for a completion; raises FormInvalid naming every refused field.

    Submitted values may be typed (the API) or text (a page): both convert the same way. A
    field left out or empty is recorded as its typed default (a boolean: False; no default:
    null), except that a value the case holds already is kept (not for `history` fields).
    Keys that are not fields of the form pass through unchanged.
    """
    data = {k: v for k, v in submitted.items() if k not in {f.id for f in fields}}
    problems: dict[str, FieldProblem] = {}
    for f in fields:
        raw = submitted.get(f.id)
        if _empty(raw):
            keeps = f.id in ctx.current and f.properties.get("history") != "true"
            if keeps and not _empty(ctx.current[f.id]):
                continue
            if _required(f, submitted, ctx.current):
                problems[f.id] = FieldProblem("required")
                continue
            data[f.id] = typed_default(f)
            continue
        problem, value = _convert(f, raw)
        problem = problem or _check_rules(f, value, ctx)
        if problem is not None:
            problems[f.id] = problem
        else:
            data[f.id] = value
    if problems:
        raise FormInvalid(problems)
    return data


def _required(f: FormField, submitted: Mapping[str, Any], current: Mapping[str, Any]) -> bool:
    if "required" in f.rules:
        return True
    flag = f.rules.get("required_if")
    if not flag:
        return False
    value = submitted.get(flag, current.get(flag))
    return value is True or (isinstance(value, str) and value.strip().lower() in TRUE_WORDS)


def _convert(f: FormField, raw: Any) -> tuple[FieldProblem | None, Any]:
    """The value in the field's type, or the problem that stops it converting."""
    if f.type == "boolean":
        if isinstance(raw, bool):
            return None, raw
        text = str(raw).strip().lower()
        if text in TRUE_WORDS | FALSE_WORDS:
            return None, text in TRUE_WORDS
        return FieldProblem("not_a_boolean"), None
    if f.type == "file":
        ids = raw if isinstance(raw, list) else [raw]
        if not all(isinstance(i, str) and i.strip() for i in ids):
            return FieldProblem("not_a_document"), None
        return None, [i.strip() for i in ids] if isinstance(raw, list) else str(raw).strip()
    if isinstance(raw, bool) or isinstance(raw, dict | list):
        return FieldProblem("not_a_number" if f.type == "long" else "pattern"), None
    text = str(raw).strip()
    if f.type == "long":
        if isinstance(raw, float) and not raw.is_integer():
            return FieldProblem("not_a_number"), None
        if not isinstance(raw, int | float) and not re.fullmatch(r"[+-]?\d{1,18}", text):
            return FieldProblem("not_a_number"), None
        return None, int(raw) if isinstance(raw, int | float) else int(text)
    if f.type == "date":
        try:
            return None, date.fromisoformat(text).isoformat()
        except ValueError:
            return FieldProblem("not_a_date"), None
    if f.type == "enum" and text not in {value for value, _name in f.options}:
        return FieldProblem("not_an_option"), None
    return None, text


def _check_rules(f: FormField, value: Any, ctx: FormContext) -> FieldProblem | None:
    """The first rule the converted value breaks, or None."""
    rules = f.rules
    if f.type == "long":
        if "min" in rules and value < int(rules["min"]):
            return FieldProblem("min", rules["min"])
        if "max" in rules and value > int(rules["max"]):
            return FieldProblem("max", rules["max"])
    if f.type in ("string", "long", "enum", "date"):
        text = str(value)
        if "minlength" in rules and len(text) < int(rules["minlength"]):
            return FieldProblem("minlength", rules["minlength"])
        if "maxlength" in rules and len(text) > int(rules["maxlength"]):
            return FieldProblem("maxlength", rules["maxlength"])
        if "pattern" in rules and not re.fullmatch(rules["pattern"], text):
            return FieldProblem("pattern")
    if f.type == "date":
        day = date.fromisoformat(value)
        if "not_future" in rules and day > ctx.today:
            return FieldProblem("not_future")
        if "not_past" in rules and day < ctx.today:
            return FieldProblem("not_past")
    if f.type == "user" and not ctx.holds_role(value, f.properties.get("role", "")):
        return FieldProblem("unknown_user", f.properties.get("role"))
    if f.type == "campaign" and ctx.running_campaign is not None and not ctx.running_campaign(value):
        return FieldProblem("not_a_campaign")
    if f.type in ("file", "document"):
        ids = value if isinstance(value, list) else [value]
        if any(i not in ctx.documents for i in ids):
            return FieldProblem("not_a_document")
    return None


def _empty(value: Any) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


def _is_int(text: str) -> bool:
    return bool(re.fullmatch(r"[+-]?\d+", text.strip()))
