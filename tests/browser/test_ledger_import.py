"""An intake clerk in headless Chromium imports a ledger file: the first upload has errors, which
are listed by row and column; the corrected file imports, its progress bar filling to the end."""

from __future__ import annotations

from typing import Any

import pytest

from engine import Engine
from tests.browser.pages import signed_in
from tests.engine.test_ledger_import import good_row, workbook
from tests.webapp.test_ledger_import import ledger_engine

__all__ = ["ledger_engine"]  # the shipped petition diagram behind the app

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.mark.sqlite_only
def test_clerk_sees_the_errors_fixes_the_file_and_imports_it(browser: Any, live_server: str,
                                                              ledger_engine: Engine) -> None:
    rows = [good_row(n) for n in range(1, 41)]
    wrong = [*rows[:5], good_row(6, subject="房产"), good_row(7, count="七"), *rows[7:]]
    context, page, errors = signed_in(browser, live_server, "clerk", width=1280, height=900)
    try:
        page.goto(live_server + "/ledger/")
        page.click("#import-cases")
        page.set_input_files("input[name=file]", files=[{"name": "排查台账.xlsx", "mimeType": XLSX,
                                                          "buffer": workbook(wrong)}])
        page.click("#upload button[type=submit]")
        page.wait_for_selector("#problems")
        problems = page.inner_text("#problems tbody")
        assert "7\t事项类别\t不在下拉选项中" in problems and "8\t信访人数\t不是整数。" in problems, problems
        assert "未导入任何案件" in page.inner_text("#check")
        assert ledger_engine.tasks() == []
        page.set_input_files("input[name=file]", files=[{"name": "排查台账.xlsx", "mimeType": XLSX,
                                                          "buffer": workbook(rows)}])
        page.click("#upload button[type=submit]")
        page.wait_for_selector("#import-progress")
        page.wait_for_selector("#import-job[data-status=done]", timeout=120_000)
        assert page.eval_on_selector("#import-progress", "p => [p.value, p.max]") == [40, 40]
        assert "已导入 40 件" in page.inner_text("#import-result")
        page.click("#to-ledger")
        assert "40" in page.inner_text("p.counts")
        assert errors == []
    finally:
        context.close()
