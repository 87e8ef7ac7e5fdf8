"""An intake clerk in headless Chromium writes the not-accepted decision as a draft, generates the
不予受理告知书 from the task page, and completes the acceptance check choosing that notice as its
document; the header's reminder link counts the clerk's near-due check."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine import docx_text
from tests.browser.pages import signed_in
from tests.processes.conftest import Driver
from tests.processes.test_petition_case import REGISTER
from tests.webapp.test_notices import driver, web_engine

__all__ = ["driver", "web_engine"]  # the shipped diagrams behind the app


@pytest.mark.sqlite_only
def test_clerk_generates_a_notice_and_files_it_with_the_decision(browser: Any, live_server: str,
                                                                 driver: Driver) -> None:
    d = driver
    d.start("petition_case")
    d.complete("register_petition", **REGISTER)
    d.clock.set(d.task("check_acceptance").due_at - timedelta(days=2))
    context, page, errors = signed_in(browser, live_server, "clerk")
    try:
        assert page.inner_text("#reminders-link .badge.near") == "1", "the check is near due"
        page.goto(f"{live_server}/cases/{d.instance_id}")
        assert page.is_visible("#generate-notices")
        assert page.is_visible("button:has-text('生成文书：不予受理告知书')")
        page.click("a:has-text('受理审查（15日内）')")
        page.click("#claim")
        page.select_option("select[name=accept_decision]", "not_accepted")
        page.fill("textarea[name=not_accepted_reason]", "属于劳动争议仲裁范围")
        page.select_option("select[name=redirect_channel]", "arbitration")
        page.click("#save-draft")
        page.wait_for_selector("#draft-note")
        page.click("button[value=not_accepted_notice]")
        page.wait_for_selector("text=存为案件材料")
        [notice] = [a for a in d.engine.attachments.list(d.instance_id) if a.notice]
        page.select_option("select[name=accept_notice_ref]", notice.id)
        page.click("#complete")
        page.wait_for_selector("header nav")
        assert d.data()["accept_notice_ref"] == notice.id and "notify_not_accepted" in d.ready()
        with page.expect_download() as download:
            page.goto(f"{live_server}/cases/{d.instance_id}")
            page.click(f"a:has-text('{notice.filename}')")
        with open(download.value.path(), "rb") as f:
            body = f.read()
        assert "属于劳动争议仲裁范围" in docx_text(body) and "张某：" in docx_text(body)
        assert errors == []
    finally:
        context.close()
