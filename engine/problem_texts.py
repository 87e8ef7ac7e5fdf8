"""Why a diagram was refused: one stable code per kind of problem, with its English text.

The engine reports a `Problem` as a code and named parameters; the English text here is the
message the engine logs and the API returns. The web app and the CLI look the same English
text up in their translation catalogue (zh-CN first), so the engine stays free of any
language but its own. A code never changes meaning; add a new code for a new kind of problem.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .errors import Problem

#: code -> English message with %(name)s parameters.
TEXTS: dict[str, str] = {
    "foreign_expression": "%(what)s %(text)s: %(detail)s",
    "expression_in_groups": "%(source)s %(text)s: expressions in %(attr)s are not supported; name the groups or users",
    "computed_called_element": "calledElement %(text)s: a computed called element is not supported; name the process",
    "candidate_users": "camunda:candidateUsers %(users)s is not supported: tasks are offered to groups; "
                       "name a candidate group or an assignee",
    "script_language": "script language %(language)s is not supported (scripts are Python)",
    "not_a_source": "cannot deploy a %(type)s; give a Path, str or bytes",
    "unknown_encoding": "unknown encoding '%(encoding)s' in the XML declaration",
    "wrong_encoding": "not %(encoding)s text (its XML declaration says so; byte %(byte)s)",
    "not_utf8": "not UTF-8 text (assumed without an XML declaration; byte %(byte)s)",
    "too_large": "file is %(size)s bytes; the limit is %(limit)s",
    "doctype": "a DOCTYPE or ENTITY declaration is not allowed",
    "not_well_formed": "not well-formed XML: %(detail)s",
    "stylesheet": "an xml-stylesheet instruction is not allowed",
    "active_markup": "%(kind)s markup (%(tag)s) is not allowed in a diagram",
    "not_bpmn_or_dmn": "not a BPMN or DMN document (root element '%(root)s')",
    "duplicate_id": "duplicate id (first at line %(first)s)",
    "reserved_id": "id '%(id)s' is reserved by the workflow engine; rename the element",
    "flow_without_end": "sequence flow has no %(attr)s",
    "flow_to_missing": "%(attr)s points to missing element '%(ref)s'",
    "timer_empty": "%(kind)s is empty",
    "timer_expression": "timer %(kind)s is not a valid expression: %(detail)s",
    "timer_zero_cycle": "cycle timer '%(value)s' has zero duration and would loop for ever",
    "timer_not_iso": "timer %(kind)s '%(value)s' is not valid ISO 8601: %(detail)s",
    "condition_expression": "condition is not a valid expression: %(detail)s",
    "script_refused": "script refused: %(detail)s",
    "task_expression": "camunda:%(attr)s is not a valid expression: %(detail)s",
    "form_unknown_type": "form field '%(field)s' has unknown type '%(type)s'; use one of %(types)s",
    "form_unknown_rule": "form field '%(field)s' has unknown rule '%(rule)s'",
    "form_rule_needs_config": "form field '%(field)s': rule '%(rule)s' needs a config value",
    "form_rule_needs_number": "form field '%(field)s': rule '%(rule)s' needs a whole number, not '%(config)s'",
    "form_bad_pattern": "form field '%(field)s': pattern is not a regular expression: %(detail)s",
    "form_user_needs_role": "form field '%(field)s' of type user needs the property role",
    "form_bad_default": "form field '%(field)s': defaultValue '%(default)s' is not a valid %(type)s",
    "no_executable_process": "no executable process (every process says isExecutable=\"false\")",
    "no_decision": "no decision in the DMN document",
    "too_long": "the process is too long to parse (a straight chain of several hundred elements); "
                "split it into sub-processes",
    "call_missing": "call activity calls process '%(process)s', which is neither in this file nor "
                    "deployed; deploy it first",
    "call_version_missing": "call activity calls version %(version)s of process '%(process)s', which is "
                            "neither in this file nor deployed; deploy it first",
    "not_dmn": "not a DMN document",
    "unknown_decision": "no decision '%(decision)s' in the document",
    "table_failed": "the table could not be evaluated: %(detail)s",
    "cannot_build": "cannot build the process: %(error)s: %(detail)s",
    # What the workflow parser (SpiffWorkflow) said, in its own words.
    "parser": "%(detail)s",
}


def text(code: str, params: dict[str, str]) -> str:
    """The English message of a problem code with its parameters filled in."""
    return TEXTS[code] % params


def describe(problem: Problem, gettext: Callable[[str], str], *, where: bool = True) -> str:
    """A problem in the language of `gettext` (which maps an English text to its translation):
    where it is (file, line, element) when `where`, then what is wrong. A problem whose
    parameters do not fill its text is given in the engine's English."""
    template = TEXTS.get(problem.code)
    try:
        what = gettext(template) % problem.params if template else problem.message
    except (KeyError, TypeError, ValueError):
        what = problem.message
    if not where:
        return what
    parts = []
    if problem.file:
        parts.append(problem.file)
    if problem.line:
        parts.append(gettext("line %(n)s") % {"n": problem.line})
    if problem.element_id:
        parts.append(gettext("element '%(id)s'") % {"id": problem.element_id})
    return gettext("%(where)s: %(what)s") % {"where": gettext(", ").join(parts), "what": what} if parts else what
