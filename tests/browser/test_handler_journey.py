"""A case handler in real headless Chromium: log in, see the inbox, claim a task, submit a form
with a required field missing, fix it and complete, then see the case page with its diagram.
Screenshots of the main pages are taken on every run; with ANJIE_UPDATE_SCREENSHOTS=1 they are
written to docs/screenshots/ (the README shows them), otherwise to a temporary folder."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

from engine import Engine
from tests.webapp.conftest import PASSWORD, start_case

SHOTS = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if os.environ.get("ANJIE_UPDATE_SCREENSHOTS") == "1"
    else Path(tempfile.mkdtemp(prefix="anjie-shots-"))
)


@pytest.mark.sqlite_only
def test_handler_journey(browser: Any, live_server: str, web_engine: Engine) -> None:
    case = start_case(web_engine, title="村集体土地征收补偿款分配争议", bk="XF-2025-0001")
    start_case(web_engine, title="企业改制职工社保接续", bk="XF-2025-0002", risk_colour="yellow",
               case_class="B")
    start_case(web_engine, title="小区物业维修基金使用", bk="XF-2025-0003", risk_colour="green",
               case_class="C")
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # The Content-Security-Policy must not block anything the app itself needs.
    page.on("console", lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None)
    try:
        page.goto(live_server + "/")
        assert "/login" in page.url
        page.screenshot(path=str(SHOTS / "login.png"))
        page.fill("input[name=username]", "handler")
        page.fill("input[name=password]", PASSWORD)
        page.click("button.primary")
        page.wait_for_selector("table.list")
        assert "共 3 项" in page.inner_text(".counts")
        page.screenshot(path=str(SHOTS / "inbox.png"), full_page=True)

        page.click("text=见面听取诉求 >> nth=0")
        page.click("#claim")
        page.wait_for_selector("#complete")
        page.fill("#f-visit_notes", "当面听取了信访人诉求")
        page.click("#complete")  # the date is missing
        error = page.wait_for_selector("#error-visit_date")
        assert "此项为必填项" in error.inner_text()
        assert page.input_value("#f-visit_notes") == "当面听取了信访人诉求"
        page.screenshot(path=str(SHOTS / "task_form_error.png"), full_page=True)
        page.fill("#f-visit_date", "2025-04-17")
        page.select_option("#f-handling", "solve")
        page.click("#complete")
        page.wait_for_selector("text=任务已办结")
        assert "起草答复" in page.inner_text("h1")  # the next task of the same case opened
        page.screenshot(path=str(SHOTS / "task_next.png"), full_page=True)

        page.goto(f"{live_server}/cases/{case.id}")
        page.wait_for_selector("#diagram[data-state=rendered]", timeout=15_000)
        assert page.locator(".djs-element.anjie-done").count() >= 2
        assert page.locator(".djs-element.anjie-active").count() == 1
        page.screenshot(path=str(SHOTS / "case.png"), full_page=True)
        assert not errors, errors
    finally:
        context.close()


@pytest.mark.sqlite_only
def test_coordinator_ledger(browser: Any, live_server: str, web_engine: Engine) -> None:
    for n, (title, colour, cls) in enumerate([("土地征收补偿", "red", "A"),
                                              ("房屋拆迁安置", "yellow", "B"),
                                              ("宅基地确权", "green", "C")], start=1):
        start_case(web_engine, title=title, bk=f"XF-2025-{n:04d}", risk_colour=colour,
                   case_class=cls)
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    try:
        page.goto(live_server + "/login")
        page.fill("input[name=username]", "coordinator")
        page.fill("input[name=password]", PASSWORD)
        page.click("button.primary")
        page.goto(live_server + "/ledger/")
        assert "共 3 件" in page.inner_text(".counts")
        page.screenshot(path=str(SHOTS / "ledger.png"), full_page=True)
        page.select_option("select[name=colour]", "red")
        page.click("form.filters button")
        assert "共 1 件" in page.inner_text(".counts")
    finally:
        context.close()
