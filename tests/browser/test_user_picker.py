"""The user picker in real headless Chromium: a searchable, keyboard-usable list of the active
holders of the field's role (name and unit), a plain select without JavaScript, and a name
typed freely refused by the server with the reason beside the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine import Engine
from tests.webapp.conftest import PASSWORD

ALL_FIELDS = Path(__file__).resolve().parents[1] / "engine" / "diagrams" / "all_fields.bpmn"


@pytest.fixture
def picker_task(web_engine: Engine) -> Any:
    """A form task with a 包案领导 picker (role case_leader), claimed by handler; two more
    leaders with units, and one who has left (disabled)."""
    web_engine.accounts.add_user("li", PASSWORD, ["case_leader"], display_name="李明", unit="县信访局")
    web_engine.accounts.add_user("wang", PASSWORD, ["case_leader"], display_name="王芳", unit="乡镇信访办")
    web_engine.accounts.add_user("gone", PASSWORD, ["case_leader"], display_name="离职者", unit="乡镇信访办")
    web_engine.accounts.set_active("gone", False)
    web_engine.deploy(ALL_FIELDS, actor="designer")
    inst = web_engine.start("all_fields", {}, actor="clerk")
    web_engine.claim(inst.tasks[0].id, actor="handler")
    return inst.tasks[0]


def _login(page: Any, base: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=username]", "handler")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_load_state()


def _shown(page: Any) -> list[str]:
    return page.locator("#f-leader-list [role=option]").all_inner_texts()


@pytest.mark.sqlite_only
def test_the_picker_searches_active_holders_by_name_or_unit_with_the_keyboard(
        browser: Any, live_server: str, web_engine: Engine, picker_task: Any) -> None:
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    try:
        _login(page, live_server)
        page.goto(f"{live_server}/tasks/{picker_task.id}")
        box = page.locator("#f-leader")
        assert box.get_attribute("role") == "combobox" and page.locator("#f-leader-choice").is_hidden()
        assert page.locator("label[for=f-leader]").inner_text().startswith("包案领导")
        page.fill("#f-note", "两个字")
        box.focus()
        assert _shown(page) == ["leader", "李明（县信访局）", "王芳（乡镇信访办）"]  # active holders only
        box.fill("乡镇")
        assert _shown(page) == ["王芳（乡镇信访办）"]  # the unit is searched; 离职者 has left
        box.fill("")
        box.type("l")
        assert _shown(page) == ["leader", "李明（县信访局）"]  # user names are searched too
        page.keyboard.press("ArrowDown")
        assert page.locator("#f-leader-list [aria-selected=true]").inner_text() == "李明（县信访局）"
        page.keyboard.press("Enter")  # chooses; does not send the form
        assert box.input_value() == "李明（县信访局）" and page.locator("#f-leader-choice").input_value() == "li"
        assert box.get_attribute("aria-expanded") == "false" and f"/tasks/{picker_task.id}" in page.url
        # A name typed freely is sent as typed and refused beside the field, nothing lost.
        box.fill("赵六")
        page.click("#complete")
        page.wait_for_load_state()
        assert "请从列表中选择一位在岗的包案领导" in page.inner_text("#error-leader")
        assert page.locator("#f-leader").input_value() == "赵六" and page.locator("#f-note").input_value() == "两个字"
        assert web_engine.task(picker_task.id).state == "ready"
        page.locator("#f-leader").fill("王芳")
        page.keyboard.press("Enter")
        page.click("#complete")
        page.wait_for_load_state()
        assert web_engine.instance(picker_task.instance_id).data["leader"] == "wang"
    finally:
        context.close()


@pytest.mark.sqlite_only
def test_without_javascript_the_picker_is_a_select_of_the_same_people(
        browser: Any, live_server: str, web_engine: Engine, picker_task: Any) -> None:
    context = browser.new_context(locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    try:
        _login(page, live_server)
        page.goto(f"{live_server}/tasks/{picker_task.id}")
        select = page.locator("select#f-leader")
        assert select.is_visible()
        people = ["请选择…", "leader", "李明（县信访局）", "王芳（乡镇信访办）"]
        assert select.locator("option").all_inner_texts() == people
        page.fill("#f-note", "两个字")
        select.select_option("wang")
        page.click("#complete")
        page.wait_for_load_state()
        assert web_engine.instance(picker_task.instance_id).data["leader"] == "wang"
    finally:
        context.close()
