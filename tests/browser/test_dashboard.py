"""In headless Chromium: a coordinator starts a three-phase campaign from the form, puts a case in
it from the case page, and opens its dashboard: the charts are drawn and their tables are there."""

from __future__ import annotations

from typing import Any

import pytest

from engine import Engine
from tests.browser.pages import signed_in
from tests.webapp.conftest import start_case
from tests.webapp.test_campaigns import CAMPAIGN, campaign_engine

__all__ = ["campaign_engine"]


@pytest.mark.sqlite_only
def test_start_a_campaign_join_a_case_and_open_its_dashboard(browser: Any, live_server: str,
                                                              campaign_engine: Engine) -> None:
    case = start_case(campaign_engine, campaign_id=None, subject="land")
    context, page, errors = signed_in(browser, live_server, "coordinator")
    try:
        page.click("header nav >> text=专项行动")
        page.click("#new-campaign")
        page.fill("#campaign-name", CAMPAIGN)
        for i, (name, ends) in enumerate([("认定交办", "2026-03-31"), ("处理化解", "2026-08-31"),
                                          ("审理结案", "2026-09-30")], start=1):
            page.fill(f"#phase-{i}-name", name)
            page.fill(f"#phase-{i}-ends", ends)
        page.fill("#target-resolve_rate", "90")
        page.select_option("#kind-1", "collective")
        page.fill("#kind-1-percent", "80")
        page.click("#start-campaign")
        page.wait_for_selector("#current-phase")
        assert "认定交办" in page.inner_text("#current-phase")
        assert "化解率" in page.inner_text("#targets") and "集体访" in page.inner_text("#targets")

        page.goto(f"{live_server}/cases/{case.id}")
        page.select_option("#join-campaign-select", CAMPAIGN)
        page.click("#join-campaign-button")
        page.wait_for_selector("text=已加入")
        assert campaign_engine.instance(case.id).data["campaign_id"] == CAMPAIGN

        page.goto(f"{live_server}/campaigns/{CAMPAIGN}")
        page.click("#campaign-dashboard")
        page.wait_for_selector("#chart-weekly[data-drawn='1']")
        for chart in ("rates", "weekly", "colour", "class", "subject", "unit", "leader", "phase"):
            assert page.locator(f"#chart-{chart}[data-drawn='1'] canvas").count() == 1, chart
        assert "1 / 1" not in page.inner_text("#table-rates")  # nothing closed yet: 0 / 1
        assert "0 / 1" in page.inner_text("#table-rates")
        assert "红" in page.inner_text("#table-colour")
        assert errors == []
    finally:
        context.close()
