"""webapp/forms.py: which input each declared field gets, what the form shows first, and how
submitted text becomes task data. Pure functions: no app, no database (messages are the
untranslated English outside a request)."""

from __future__ import annotations

from typing import Any

import pytest

from engine import FormField
from webapp.forms import initial_values, validate, widget

REQUIRED = "This field is required."


def field(id: str = "f", type: str = "string", **kw: Any) -> FormField:
    return FormField(id=id, label=id, type=type, **kw)


def one(f: FormField, raw: str | None) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate a single field; (data, errors)."""
    result = validate([f], {} if raw is None else {f.id: raw})
    assert result.ok == (not result.errors)
    return result.data, result.errors


# -- widget --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("f", "expected"),
    [
        (field(), "text"),
        (field(type="enum", options=[("a", "A")]), "select"),
        (field(options=[("a", "A")]), "select"),  # listed options make a select whatever the type
        (field(type="boolean"), "checkbox"),
        (field(type="long"), "number"),
        (field(type="integer"), "number"),
        (field(type="double"), "number"),
        (field(type="date"), "date"),
        (field(properties={"widget": "textarea"}), "textarea"),
        (field(properties={"widget": "multiline"}), "textarea"),
        (field(properties={"widget": "TextArea"}), "textarea"),
        (field(properties={"widget": "file"}), "file"),
        (field(properties={"widget": "attachment"}), "file"),
        (field(type="file"), "file"),
        (field(type="long", properties={"widget": "textarea"}), "number"),  # the type decides first
    ],
)
def test_widget_follows_type_options_and_widget_property(f: FormField, expected: str) -> None:
    assert widget(f) == expected


# -- initial_values ------------------------------------------------------------------------


def test_initial_values_show_case_data_before_the_default() -> None:
    fields = [field("title", default="未命名"), field("count", type="long", default="1"),
              field("note"), field("done", type="boolean"), field("open", type="boolean"),
              field("reply_file", properties={"widget": "file"}), field("tags")]
    data = {"title": "张某诉求", "done": True, "open": False, "reply_file": {"attachment_id": "x"},
            "tags": ["a"], "other": "not a field"}
    assert initial_values(fields, data) == {
        "title": "张某诉求",  # the case data wins over the default
        "count": "1",  # no data: the default
        "note": "",  # neither: empty, never "None"
        "done": "on",  # a checked checkbox
        "open": "",
        "reply_file": "",  # an attachment record is not put back into an input
        "tags": "",
    }


def test_initial_values_turn_numbers_into_text() -> None:
    fields = [field("n", type="long"), field("x", type="double")]
    assert initial_values(fields, {"n": 2, "x": 2.5}) == {"n": "2", "x": "2.5"}


def test_initial_values_show_a_stored_none_as_empty_not_the_default() -> None:
    assert initial_values([field("title", default="未命名")], {"title": None}) == {"title": ""}


# -- validate: presence --------------------------------------------------------------------


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_a_required_field_left_empty_is_an_error(raw: str | None) -> None:
    data, errors = one(field(required=True), raw)
    assert errors == {"f": REQUIRED} and data == {}


@pytest.mark.parametrize("type", ["string", "long", "date"])
def test_an_optional_field_left_empty_is_left_out(type: str) -> None:
    data, errors = one(field(type=type), "  ")
    assert data == {} and errors == {}


def test_text_is_stripped() -> None:
    assert one(field(), "  当面听取诉求 \n") == ({"f": "当面听取诉求"}, {})


def test_only_declared_fields_reach_the_data() -> None:
    result = validate([field("title")], {"title": "t", "case_leader": "mallory", "csrf_token": "x"})
    assert result.data == {"title": "t"}


def test_every_field_is_checked_and_the_good_ones_kept() -> None:
    fields = [field("title", required=True), field("count", type="long"), field("day", type="date")]
    result = validate(fields, {"title": "", "count": "两", "day": "2025-04-17"})
    assert not result.ok
    assert result.errors == {"title": REQUIRED, "count": "Enter a number."}
    assert result.data == {"day": "2025-04-17"}


def test_a_valid_form_is_ok() -> None:
    result = validate([field("title", required=True)], {"title": "t"})
    assert result.ok and result.errors == {}


# -- validate: per type --------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "checked"), [
    ("on", True), ("true", True), ("1", True), ("yes", True),
    (None, False), ("", False), ("off", False), ("false", False), ("0", False),
])
def test_a_checkbox_becomes_true_or_false(raw: str | None, checked: bool) -> None:
    assert one(field(type="boolean"), raw) == ({"f": checked}, {})


def test_a_select_takes_only_a_listed_option() -> None:
    f = field(type="enum", options=[("solve", "解决到位"), ("explain", "解释疏导")])
    assert one(f, "explain") == ({"f": "explain"}, {})
    assert one(f, "解释疏导") == ({}, {"f": "Choose one of the listed options."})  # the label is not the value
    assert one(f, "other") == ({}, {"f": "Choose one of the listed options."})


@pytest.mark.parametrize("type", ["long", "integer", "int"])
def test_a_whole_number_field_gives_an_int(type: str) -> None:
    data, errors = one(field(type=type), " 42 ")
    assert errors == {} and data == {"f": 42} and isinstance(data["f"], int)
    assert one(field(type=type), "2.5") == ({}, {"f": "Enter a number."})


@pytest.mark.parametrize("type", ["double", "float", "number"])
def test_a_decimal_field_gives_a_float(type: str) -> None:
    data, errors = one(field(type=type), "2.5")
    assert errors == {} and data == {"f": 2.5}
    data, _ = one(field(type=type), "3")
    assert data == {"f": 3.0} and isinstance(data["f"], float)


@pytest.mark.parametrize("raw", ["两", "1,000", "12abc"])
def test_text_in_a_number_field_is_an_error(raw: str) -> None:
    assert one(field(type="long"), raw) == ({}, {"f": "Enter a number."})


@pytest.mark.parametrize("bounds", [{"min": "1", "max": "10"},
                                    {"constraint_min": "1", "constraint_max": "10"}])
def test_number_bounds_are_inclusive(bounds: dict[str, str]) -> None:
    f = field(type="long", properties=bounds)
    assert one(f, "1") == ({"f": 1}, {})
    assert one(f, "10") == ({"f": 10}, {})
    assert one(f, "0") == ({}, {"f": "The smallest allowed value is 1."})
    assert one(f, "11") == ({}, {"f": "The largest allowed value is 10."})


def test_a_zero_lower_bound_is_still_a_bound() -> None:
    f = field(type="double", properties={"min": "0"})
    assert one(f, "-0.5") == ({}, {"f": "The smallest allowed value is 0."})
    assert one(f, "0") == ({"f": 0.0}, {})


def test_a_date_is_checked_and_given_as_iso() -> None:
    assert one(field(type="date"), "2025-04-16") == ({"f": "2025-04-16"}, {})
    for bad in ("2025-02-30", "16/04/2025", "tomorrow"):
        assert one(field(type="date"), bad) == ({}, {"f": "Enter a date like 2025-04-16."}), bad


@pytest.mark.parametrize("props", [{"maxlength": "4"}, {"max_length": "4"}, {"constraint_maxlength": "4"}])
def test_text_longer_than_maxlength_is_refused(props: dict[str, str]) -> None:
    f = field(properties=props)
    assert one(f, "一二三四") == ({"f": "一二三四"}, {})  # characters, not bytes
    assert one(f, "一二三四五") == ({}, {"f": "At most 4 characters."})


@pytest.mark.parametrize("props", [{"minlength": "2"}, {"min_length": "2"}, {"constraint_minlength": "2"}])
def test_text_shorter_than_minlength_is_refused(props: dict[str, str]) -> None:
    f = field(properties=props)
    assert one(f, "ab") == ({"f": "ab"}, {})
    assert one(f, " a ") == ({}, {"f": "At least 2 characters."})  # counted after stripping


def test_a_pattern_must_match_the_whole_value() -> None:
    f = field(properties={"pattern": r"XF-\d{4}"})
    assert one(f, "XF-0001") == ({"f": "XF-0001"}, {})
    for bad in ("XF-00012", "aXF-0001", "XF-1"):
        assert one(f, bad) == ({}, {"f": "The value does not have the expected format."}), bad


def test_textarea_text_is_checked_like_text() -> None:
    f = field(properties={"widget": "textarea", "maxlength": "3"})
    assert one(f, "abcd") == ({}, {"f": "At most 3 characters."})


def test_file_fields_are_left_to_the_caller() -> None:
    f = field("reply_file", required=True, properties={"widget": "file"})
    result = validate([f], {"reply_file": "reply.pdf"})
    assert result.ok and result.data == {}
