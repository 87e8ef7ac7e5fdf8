"""Task forms on a page: which input each declared field gets, what it shows first, what the
browser's submission means, and the Chinese message for each refused field.

The typing and the rules are the engine's (`engine.forms` via `Engine.complete`, docs/forms.md);
this module only draws and reads, so the page, the API and the CLI cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _

from engine import FieldProblem, FormField, initial_value
from webapp.labels import role_label


def widget(f: FormField) -> str:
    """Which input to draw: text, textarea, number, date, checkbox, select, user, document or file."""
    kinds = {"boolean": "checkbox", "long": "number", "date": "date", "enum": "select",
             "user": "user", "document": "document", "file": "file", "campaign": "campaign"}
    if f.type in kinds:
        return kinds[f.type]
    if f.properties.get("document") == "true":  # a text field that names one of the case's documents
        return "document"
    return "textarea" if (f.properties.get("widget") or "").lower() == "textarea" else "text"


def initial_values(fields: list[FormField], data: Mapping[str, Any]) -> dict[str, str]:
    """What the form shows first, as the inputs take it: the case's value, else the typed
    default (a ticked box is "on", an unticked one "")."""
    values: dict[str, str] = {}
    for f in fields:
        current = initial_value(f, data)
        if isinstance(current, bool):
            values[f.id] = "on" if current else ""
        elif current is None or isinstance(current, dict | list):
            values[f.id] = ""
        else:
            values[f.id] = str(current)
    return values


def submitted(fields: list[FormField], form: Mapping[str, str]) -> dict[str, Any]:
    """The submission as the engine takes it: text as typed, a checkbox ticked or not (a box
    the user left unticked is false, whatever the default), an attachment id kept from a
    previous try of the same form. Keys that are not fields of the form are dropped."""
    data: dict[str, Any] = {}
    for f in fields:
        if f.type == "boolean":
            data[f.id] = f.id in form
        elif form.get(f.id):
            data[f.id] = form[f.id]
    return data


def message(problem: FieldProblem) -> str:
    """The message shown beside a refused field."""
    messages = {
        "required": _("This field is required."),
        "not_a_number": _("Enter a whole number."),
        "not_a_boolean": _("Tick the box or leave it empty."),
        "not_a_date": _("Enter a date like 2025-04-16."),
        "not_an_option": _("Choose one of the listed options."),
        "min": _("The smallest allowed value is %(n)s.", n=problem.limit),
        "max": _("The largest allowed value is %(n)s.", n=problem.limit),
        "minlength": _("At least %(n)s characters.", n=problem.limit),
        "maxlength": _("At most %(n)s characters.", n=problem.limit),
        "pattern": _("The value does not have the expected format."),
        "not_future": _("The date cannot be in the future."),
        "not_past": _("The date cannot be in the past."),
        "unknown_user": _("Choose an active %(role)s from the list; a name typed freely is not accepted.",
                          role=role_label(problem.limit or "")),
        "not_a_document": _("Choose one of the case's documents."),
        "not_a_campaign": _("Choose one of the running campaigns."),
    }
    return messages.get(problem.code, problem.code)


def messages(problems: Mapping[str, FieldProblem]) -> dict[str, str]:
    """Messages for every refused field, by field id."""
    return {field_id: message(p) for field_id, p in problems.items()}
