"""Diagram expressions a run evaluates for people's tasks: the assignee and the due date."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.task import Task

from .clock import Clock, using_clock
from .scripting import ScriptFailed, parse_datetime


@lru_cache(maxsize=1024)
def expression_names(expression: str) -> frozenset[str]:
    """The data names an expression reads (so a due date is recomputed only when they change)."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        return frozenset()
    return frozenset(node.id for node in ast.walk(tree) if isinstance(node, ast.Name))


class Expressions:
    """Evaluates an element's expressions against a task and the case data, under the engine clock."""

    def __init__(self, script_engine: PythonScriptEngine, clock: Clock) -> None:
        self.script_engine = script_engine
        self.clock = clock

    def evaluate(self, task: Task, expression: str | None, case_data: dict[str, Any]) -> Any:
        """The value of `expression`, or None when it is empty or cannot be evaluated.

        The case data wins over the task's own copy: a value changed in a parallel branch
        (an extended deadline, say) is newer there than in this branch's copy.
        """
        if not expression:
            return None
        try:
            with using_clock(self.clock):
                return self.script_engine.environment.evaluate(expression, {**task.data, **case_data})
        except (ScriptFailed, NameError, TypeError, ValueError, KeyError):
            return None

    def assignee(self, task: Task, meta: dict[str, Any], case_data: dict[str, Any]) -> str | None:
        """Who the element's assignee expression names, if anyone."""
        value = self.evaluate(task, meta.get("assignee"), case_data)
        return str(value) if value else None

    def due_at(self, task: Task, meta: dict[str, Any], case_data: dict[str, Any]) -> datetime | None:
        """When the element's due-date expression says the task is due, if it says so."""
        due = self.evaluate(task, meta.get("due_date"), case_data)
        if not due:
            return None
        try:
            # In UTC: SQLite keeps a datetime's wall time and drops its zone, so 18:00+08:00
            # would read back as 18:00 UTC.
            return parse_datetime(due).astimezone(UTC)
        except (TypeError, ValueError):
            return None
