"""webapp/forms.py: which input each declared field gets, what the form shows first, what a
browser's submission means and the message beside a refused field. The typing itself is the
engine's (tests/engine/test_forms.py); these are pure functions, no app, no database."""

from __future__ import annotations

from typing import Any

import pytest

from engine import FieldProblem, FormField
from webapp.forms import initial_values, message, submitted, widget


def field(id: str = "f", type: str = "string", **kw: Any) -> FormField:
    return FormField(id=id, label=id, type=type, **kw)


@pytest.mark.parametrize(
    ("f", "expected"),
    [
        (field(), "text"),
        (field(type="enum", options=[("a", "A")]), "select"),
        (field(type="boolean"), "checkbox"),
        (field(type="long"), "number"),
        (field(type="date"), "date"),
        (field(type="user", properties={"role": "case_leader"}), "user"),
        (field(type="file"), "file"),
        (field(type="document"), "document"),
        (field(properties={"document": "true"}), "document"),
        (field(properties={"widget": "textarea"}), "textarea"),
        (field(properties={"widget": "TextArea"}), "textarea"),
        (field(type="long", properties={"widget": "textarea"}), "number"),  # the type decides first
    ],
)
def test_widget_follows_the_type_then_the_widget_property(f: FormField, expected: str) -> None:
    assert widget(f) == expected


def test_initial_values_show_typed_defaults_a_false_box_unticked() -> None:
    fields = [field("title", default="未命名"), field("count", type="long", default="1"),
              field("note"), field("no", type="boolean", default="false"),
              field("yes", type="boolean", default="true"), field("plain", type="boolean"),
              field("comment", properties={"history": "true"}), field("tags")]
    data = {"title": "张某诉求", "comment": "上次意见", "tags": ["a"], "other": "not a field"}
    assert initial_values(fields, data) == {
        "title": "张某诉求",  # the case data wins over the default
        "count": "1",  # no data: the default
        "note": "",  # neither: empty, never "None"
        "no": "", "yes": "on", "plain": "",
        "comment": "",  # a history field starts empty on every pass
        "tags": "",  # a list is not put back into an input
    }


def test_initial_values_show_stored_values_as_text() -> None:
    fields = [field("n", type="long"), field("done", type="boolean", default="false")]
    assert initial_values(fields, {"n": 2, "done": True}) == {"n": "2", "done": "on"}


def test_a_submission_reads_unticked_boxes_as_false_and_drops_other_keys() -> None:
    fields = [field("ok", type="boolean", default="true"), field("flag", type="boolean"),
              field("days", type="long"), field("note")]
    form = {"flag": "on", "days": "3", "note": "", "case_leader": "mallory", "csrf_token": "x"}
    assert submitted(fields, form) == {"ok": False, "flag": True, "days": "3"}


@pytest.mark.parametrize(("problem", "text"), [
    (FieldProblem("required"), "This field is required."),
    (FieldProblem("max", "30"), "The largest allowed value is 30."),
    (FieldProblem("minlength", "2"), "At least 2 characters."),
    (FieldProblem("not_future"), "The date cannot be in the future."),
    (FieldProblem("unknown_user", "case_leader"),
     "Choose an active Case leader from the list; a name typed freely is not accepted."),
])
def test_each_problem_has_a_message(problem: FieldProblem, text: str) -> None:
    assert message(problem) == text


def test_every_problem_code_the_engine_names_has_a_message() -> None:
    codes = [line.strip().rstrip(".") for line in (FieldProblem.__doc__ or "").split("Keys:")[1].split(",")]
    assert len(codes) == 15
    for code in codes:
        assert message(FieldProblem(code, "1")) != code, code
