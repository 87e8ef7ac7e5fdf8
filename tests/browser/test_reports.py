"""A supervisor in headless Chromium reviews the weekly bulletin on its task page, publishes it,
and prints it: with print media the page shows the report alone, navigation and buttons hidden."""

from __future__ import annotations

from typing import Any

import pytest

from engine import FakeClock
from tests.browser.pages import signed_in
from tests.conftest import EngineWith
from tests.webapp.test_reports import bulletin_due


@pytest.mark.sqlite_only
def test_supervisor_publishes_and_prints_a_bulletin(browser: Any, live_server: str, engine_with: EngineWith,
                                                    clock: FakeClock) -> None:
    d = bulletin_due(engine_with, clock)
    task = d.task("write_weekly_bulletin")
    [report] = d.engine.reports.list(campaign_id="c-2026")
    context, page, errors = signed_in(browser, live_server, "supervisor")
    try:
        page.goto(f"{live_server}/tasks/{task.id}")
        page.click("#claim")
        page.wait_for_selector("#report-review")
        assert "超期案件（按包案领导）" in page.inner_text(f"#report-{report.id}")
        page.fill("#remarks", "请包案领导本周内办结。")
        page.click("#publish")
        page.wait_for_selector(".report-meta .published")
        assert "请包案领导本周内办结。" in page.inner_text(".remarks")

        page.emulate_media(media="print")
        assert not page.is_visible("header.top") and not page.is_visible("header nav")
        assert not page.is_visible(".no-print") and not page.is_visible("button.print")
        assert page.is_visible(f"#report-{report.id}") and page.is_visible(".report-section table")
        page.emulate_media(media="screen")
        assert page.is_visible("header nav") and page.is_visible("button.print")
        assert errors == []
    finally:
        context.close()
