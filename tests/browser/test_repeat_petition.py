"""An intake clerk in headless Chromium records a repeat petition on a closed case from its
case page: first without the details (refused, nothing recorded), then with them (reopened)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.processes.conftest import Driver
from tests.processes.test_petition_case import to_closed
from tests.webapp.conftest import PASSWORD
from tests.webapp.test_repeat_petitions import driver, web_engine

__all__ = ["driver", "web_engine"]  # the shipped diagrams behind the app


@pytest.mark.sqlite_only
def test_clerk_reopens_a_closed_case_from_its_page(browser: Any, live_server: str, driver: Driver) -> None:
    d = driver
    to_closed(d)
    d.advance(days=5)
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(live_server + "/login")
        page.fill("input[name=username]", "clerk")
        page.fill("input[name=password]", PASSWORD)
        page.click("button.primary")
        page.wait_for_selector("table.list, .empty")
        page.goto(f"{live_server}/cases/{d.instance_id}")
        assert "登记重复信访" in page.inner_text("#repeat-petition")
        page.click("#record-repeat")  # the details are missing
        page.wait_for_selector("#error-repeat_petition_note")
        assert d.data()["reopened_count"] == 0
        page.fill("#f-repeat_petition_note", "又到县信访局上访")
        page.click("#record-repeat")
        page.wait_for_selector("text=重复信访已登记")
        assert "研判确认（可调整）" in page.inner_text("table.list")
        data = d.data()
        assert (data["backlog_case"], data["repeat_count"], data["reopened_count"]) == (True, 3, 1)
        assert errors == []
    finally:
        context.close()
