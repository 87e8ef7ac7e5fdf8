"""Task forms: turn a task's declared fields into inputs, and submitted text back into data.

Pure functions over `FormField` and the submitted strings, so they are tested without Flask.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _

from engine import FormField

TEXTAREA_HINTS = ("textarea", "multiline", "long_text")


@dataclass
class FormResult:
    """Validated data ready for the engine, and per-field error messages (empty if valid)."""

    data: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True if every field passed."""
        return not self.errors


def widget(f: FormField) -> str:
    """Which input to draw: text, textarea, number, date, checkbox, select or file."""
    kind = (f.properties.get("widget") or f.type or "string").lower()
    if kind in ("file", "attachment"):
        return "file"
    if f.type == "enum" or f.options:
        return "select"
    if f.type == "boolean":
        return "checkbox"
    if f.type in ("long", "integer", "int", "number", "double", "float"):
        return "number"
    if f.type == "date":
        return "date"
    if kind in TEXTAREA_HINTS:
        return "textarea"
    return "text"


def initial_values(fields: list[FormField], data: Mapping[str, Any]) -> dict[str, str]:
    """What the form shows first: current case data, else the field's default."""
    values: dict[str, str] = {}
    for f in fields:
        current = data.get(f.id, f.default)
        if current is None:
            values[f.id] = ""
        elif isinstance(current, bool):
            values[f.id] = "on" if current else ""
        elif isinstance(current, dict | list):
            values[f.id] = ""
        else:
            values[f.id] = str(current)
    return values


def validate(fields: list[FormField], submitted: Mapping[str, str]) -> FormResult:
    """Check submitted strings against the fields. File fields are left to the caller, which
    stores the uploads (see `webapp.attachments`) only once everything else is valid."""
    result = FormResult()
    for f in fields:
        kind = widget(f)
        if kind == "file":
            continue
        raw = (submitted.get(f.id) or "").strip()
        if kind == "checkbox":
            result.data[f.id] = raw in ("on", "true", "1", "yes")
            continue
        if not raw:
            if f.required:
                result.errors[f.id] = _("This field is required.")
            continue
        try:
            result.data[f.id] = _convert(f, kind, raw)
        except ValueError as exc:
            result.errors[f.id] = str(exc)
    return result


def _convert(f: FormField, kind: str, raw: str) -> Any:
    props = f.properties
    if kind == "select":
        allowed = [value for value, _label in f.options]
        if allowed and raw not in allowed:
            raise ValueError(_("Choose one of the listed options."))
        return raw
    if kind == "number":
        try:
            number: int | float = int(raw) if f.type in ("long", "integer", "int") else float(raw)
        except ValueError:
            raise ValueError(_("Enter a number.")) from None
        low, high = _prop(props, "min"), _prop(props, "max")
        if low is not None and number < float(low):
            raise ValueError(_("The smallest allowed value is %(min)s.", min=low))
        if high is not None and number > float(high):
            raise ValueError(_("The largest allowed value is %(max)s.", max=high))
        return number
    if kind == "date":
        try:
            return date.fromisoformat(raw).isoformat()
        except ValueError:
            raise ValueError(_("Enter a date like 2025-04-16.")) from None
    max_length = _prop(props, "maxlength", "max_length")
    if max_length and len(raw) > int(max_length):
        raise ValueError(_("At most %(n)s characters.", n=max_length))
    min_length = _prop(props, "minlength", "min_length")
    if min_length and len(raw) < int(min_length):
        raise ValueError(_("At least %(n)s characters.", n=min_length))
    pattern = _prop(props, "pattern")
    if pattern and not re.fullmatch(pattern, raw):
        raise ValueError(_("The value does not have the expected format."))
    return raw


def _prop(props: Mapping[str, str], *names: str) -> str | None:
    """A field property or Camunda validation constraint (stored as constraint_<name>)."""
    for name in names:
        for key in (name, f"constraint_{name}"):
            if props.get(key):
                return props[key]
    return None
