"""Field ownership: which case fields a human task's completion may write (docs/forms.md).

A task with a form writes only the fields of its own form. A form-less task may write fields
that no form of the diagram declares. No completion writes a computed field: the process
declares those once (`camunda:property name="computed"`) and scripts, decisions and the engine
set them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .errors import FieldsNotOwned


def computed_fields(elements: Mapping[str, Any]) -> set[str]:
    """Every field a process of the deployment declares as computed."""
    return {name for meta in elements.values() for name in meta.get("computed") or ()}


def form_fields(meta: Mapping[str, Any]) -> list[str]:
    """The field ids of one element's form, in order (empty for a form-less element)."""
    return [f["id"] for f in meta.get("form") or [] if f.get("id")]


def refused_fields(elements: Mapping[str, Any], element_id: str, keys: Iterable[str]) -> list[str]:
    """The submitted keys the task `element_id` does not own, sorted."""
    computed = computed_fields(elements)
    own = form_fields(elements.get(element_id, {}))
    if own:
        allowed = set(own) - computed
        return sorted(k for k in keys if k not in allowed)
    declared = {f for meta in elements.values() for f in form_fields(meta)}
    return sorted(k for k in keys if k in declared or k in computed)


def check_owned(elements: Mapping[str, Any], element_id: str, data: Mapping[str, Any]) -> None:
    """Raise FieldsNotOwned naming every key of `data` the task may not write."""
    refused = refused_fields(elements, element_id, data)
    if refused:
        raise FieldsNotOwned(element_id, refused)
