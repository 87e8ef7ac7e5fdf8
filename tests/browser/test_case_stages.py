"""The case page shows where a case stands at a glance: the active stage marked at the top
level of the petition path, and inside it, once drilled into, the active task."""

from __future__ import annotations

from typing import Any

import pytest

from engine import Engine
from tests.browser.pages import signed_in
from tests.browser.test_shipped_demo import demo  # noqa: F401 - the demo fixture
from webapp.demo import DemoResult

STAGES = ["stage_register", "stage_triage", "stage_field_work", "stage_inquiry", "stage_resolve", "stage_reply",
          "stage_closing", "stage_follow_up", "stage_review"]
IN_VIEW = """(ids) => {
  const box = document.getElementById('diagram').getBoundingClientRect();
  return ids.filter(id => {
    const r = document.querySelector('.djs-element[data-element-id="' + id + '"]').getBoundingClientRect();
    return r.left >= box.left && r.right <= box.right && r.top >= box.top && r.bottom <= box.bottom;
  });
}"""
MARKED = """(id) => {
  const el = document.querySelector('.djs-element[data-element-id="' + id + '"]');
  return el ? el.getAttribute('class') : null;
}"""


@pytest.mark.sqlite_only
def test_case_page_shows_the_active_stage_and_drills_into_it(browser: Any,
                                                             demo: tuple[str, Engine, DemoResult]) -> None:  # noqa: F811
    base, engine, result = demo
    in_field_work = sorted({t.instance_id for t in engine.tasks() if t.element_id == "site_visit"})
    assert in_field_work, "the demo has a case in 一看二听三问"
    context, page, errors = signed_in(browser, base, "handler", width=1280, height=860,
                                      password=result.passwords["handler"])
    try:
        page.goto(f"{base}/cases/{in_field_work[0]}")
        page.wait_for_selector("#diagram[data-state=rendered]", timeout=15_000)
        # At the top level: the stages a clerk knows, 一看二听三问 active, the earlier ones done.
        assert "anjie-active" in (page.evaluate(MARKED, "stage_field_work") or "")
        for done in ("stage_register", "stage_triage"):
            assert "anjie-done" in (page.evaluate(MARKED, done) or ""), done
        assert "anjie-active" not in (page.evaluate(MARKED, "stage_reply") or "")
        # All nine are in view at once, at a zoom where their names can be read.
        assert page.evaluate(IN_VIEW, STAGES) == STAGES
        assert page.evaluate("() => document.querySelector('#diagram .djs-element[data-element-id=stage_field_work]')"
                             ".getBoundingClientRect().width") >= 60
        assert page.locator('.djs-element[data-element-id="site_visit"]').count() == 0  # not drawn up here
        assert page.locator(".djs-element[data-element-id=stage_field_work] text").text_content() == "一看二听三问"
        # Drilled in: the stage's own picture, with the active task marked.
        page.click('.djs-overlays[data-container-id="stage_field_work"] .bjs-drilldown')
        page.wait_for_selector('.djs-element[data-element-id="site_visit"]')
        assert "anjie-active" in (page.evaluate(MARKED, "site_visit") or "")
        assert "一看二听三问" in page.inner_text(".bjs-breadcrumbs")
        assert not errors, errors
    finally:
        context.close()
