"""webapp/labels.py: every history event type has a label people read, in Chinese first."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale
from lxml import etree

from engine import ROLES, EventType, InstanceStatus, TaskState, safe_parser
from tests.conftest import PROCESSES
from webapp import labels


@pytest.mark.sqlite_only
@pytest.mark.parametrize("event_type", list(EventType))
def test_every_event_type_has_a_chinese_label(app: Flask, event_type: EventType) -> None:
    assert event_type in labels.EVENT_LABELS, f"add a label for {event_type} to EVENT_LABELS"
    with app.test_request_context(), force_locale("zh_CN"):
        chinese = labels.event_label(event_type)
    with app.test_request_context(), force_locale("en"):
        english = labels.event_label(event_type)
    assert chinese != english, f"{english!r} has no Chinese translation in messages.po"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese), chinese


@pytest.mark.sqlite_only
@pytest.mark.parametrize(("stored", "label"), [("cancelled", "案件撤销"), ("retried", "重新运行"), ("error", "错误")])
def test_events_stored_under_old_names_get_their_labels(app: Flask, stored: str, label: str) -> None:
    with app.test_request_context(), force_locale("zh_CN"):
        assert labels.event_label(stored) == label


@pytest.mark.sqlite_only
def test_an_unknown_event_type_shows_as_itself(app: Flask) -> None:
    with app.test_request_context(), force_locale("zh_CN"):
        assert labels.event_label("made_up_type") == "made_up_type"


@pytest.mark.sqlite_only
@pytest.mark.parametrize("value", [*InstanceStatus, *TaskState])
def test_every_status_and_task_state_has_a_chinese_label(app: Flask, value: str) -> None:
    with app.test_request_context(), force_locale("zh_CN"):
        chinese = labels.status_label(value)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese), f"{value!r} has no Chinese label: {chinese!r}"


@pytest.mark.sqlite_only
@pytest.mark.parametrize("role", list(ROLES))
def test_every_role_has_a_chinese_name(app: Flask, role: str) -> None:
    with app.test_request_context(), force_locale("zh_CN"):
        name = labels.role_label(role)
    assert name != role and not name.isascii(), role


def test_every_form_field_of_the_shipped_diagrams_has_a_label() -> None:
    fields = [f for path in sorted(PROCESSES.glob("*.bpmn"))
              for f in etree.parse(str(path), parser=safe_parser()).iter(f"{{{labels.CAMUNDA_NS}}}formField")]
    assert fields
    assert [f.get("id") for f in fields if not (f.get("label") or "").strip()] == []


@pytest.mark.sqlite_only
def test_no_case_page_of_the_demo_shows_a_technical_key(engine_with: Any, settings: Any, auth: Any,
                                                        client: Any) -> None:
    """Every key the shipped diagrams write into a case (forms, scripts, computed deadlines) has
    a label, and the demo's case pages show labels only: walk every demo case and read its page."""
    import re

    from webapp.demo import deploy_shipped, seed

    engine = engine_with(settings=settings)
    engine.accounts.scrypt_n = 2**4
    deploy_shipped(engine, PROCESSES)
    cases = seed(engine, PROCESSES).case_ids
    assert cases
    auth.login("admin")
    for case_id in cases:
        inst = engine.instance(case_id)
        known = labels.data_labels(engine.diagram_xml(inst.process_key, inst.version))
        keys = set(inst.data) | {k for e in engine.history(case_id) for k in e.changes}
        assert [k for k in sorted(keys) if k not in known and k not in labels.COMPUTED_LABELS] == [], case_id
        page = client.get(f"/cases/{case_id}").text
        shown = re.findall(r"<dt>([^<]*)</dt>", page) + re.findall(r'<ul class="changes">.*?</ul>', page, re.S)
        assert not [s for s in shown if re.search(r"\b[a-z]+_[a-z_]+\b", s)], (case_id, shown)
