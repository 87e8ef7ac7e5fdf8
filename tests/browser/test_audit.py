"""The audit page and the heatmap in headless Chromium on the shipped demo: an auditor steps
through a case with the keyboard (the diagram's markers follow the replay of each step, the
address follows the step) and opens the heatmap of the petition process."""

from __future__ import annotations

from typing import Any

import pytest

from engine import Engine
from tests.browser.test_handler_journey import SHOTS
from tests.browser.test_shipped_demo import demo  # noqa: F401 - the shared fixture
from webapp.demo import DemoResult

MARKED = """(kind) => Array.from(document.querySelectorAll('#diagram .djs-element.anjie-' + kind))
  .map(e => e.getAttribute('data-element-id')).sort()"""
# Where the first active task is drawn, against the diagram's box, and how wide it is on screen.
ACTIVE_BOX = """() => {
  const box = document.getElementById('diagram').getBoundingClientRect();
  const el = document.querySelector('#diagram .djs-element.anjie-active.djs-shape');
  if (!el) { return null; }
  const r = el.getBoundingClientRect();
  return {inside: r.left >= box.left && r.right <= box.right && r.top >= box.top && r.bottom <= box.bottom,
          width: r.width};
}"""


def _login(page: Any, base: str, user: str, password: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.press("input[name=password]", "Enter")
    page.wait_for_load_state()


def _step(page: Any) -> int:
    return int(page.get_attribute("#diagram", "data-step"))


def _press(page: Any, key: str, expect: int) -> None:
    page.keyboard.press(key)
    page.wait_for_selector(f"#diagram[data-step='{expect}']:not([data-loading])")


def _drawn(page: Any) -> dict[str, list[str]]:
    shown = {kind: page.evaluate(MARKED, kind) for kind in ("done", "active", "waiting", "cancelled")}
    return {"completed": shown["done"], "active": shown["active"], "waiting": shown["waiting"],
            "cancelled": shown["cancelled"]}


def _expected(engine: Engine, case_id: int, step: int, drawn_ids: set[str]) -> dict[str, list[str]]:
    r = engine.replay(case_id, step)
    # Elements inside collapsed sub-processes are not drawn on the main plane.
    return {k: sorted(e for e in v if e in drawn_ids) for k, v in
            (("completed", r.completed), ("active", r.active), ("waiting", r.waiting), ("cancelled", r.cancelled))}


@pytest.mark.sqlite_only
def test_an_auditor_steps_through_a_case_with_the_keyboard(browser: Any, demo: tuple[str, Engine, DemoResult]) -> None:  # noqa: F811
    base, engine, result = demo
    case_id = max(result.case_ids, key=lambda i: len(engine.history(i)))
    last = engine.history(case_id)[-1].seq
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        _login(page, base, "auditor", result.passwords["auditor"])
        page.goto(f"{base}/cases/{case_id}/audit?step={last - 3}")
        page.wait_for_selector("#diagram[data-state=rendered]")
        drawn_ids = set(page.evaluate("() => Array.from(document.querySelectorAll('#diagram .djs-element'))"
                                      ".map(e => e.getAttribute('data-element-id'))"))
        assert _step(page) == last - 3
        assert _drawn(page) == _expected(engine, case_id, last - 3, drawn_ids)
        page.screenshot(path=str(SHOTS / "audit_case.png"))
        seen = []
        step = last - 3
        for key, expect in (("ArrowRight", last - 2), ("ArrowRight", last - 1), ("End", last),
                            ("ArrowLeft", last - 1), ("Home", 1), ("ArrowRight", 2)):
            _press(page, key, expect)
            step = expect
            assert page.url.endswith(f"/cases/{case_id}/audit?step={step}")
            assert _drawn(page) == _expected(engine, case_id, step, drawn_ids), step
            assert page.locator("tr.current").count() == 1
            assert page.get_attribute(f"#event-{step}", "aria-current") == "step"
            assert f"第 {step} 步之后" in page.inner_text("#audit-state")
            seen.append(tuple(_drawn(page)["active"]))
            box = page.evaluate(ACTIVE_BOX)
            if box is not None:  # the active step is in view, drawn large enough to read
                assert box["inside"] and box["width"] >= 60, (step, box)
        assert len(set(seen)) > 1  # the markers changed as the steps did
        page.click(f"#event-{last} a[data-step]")  # a step number in the event list replays too
        page.wait_for_selector(f"#diagram[data-step='{last}']:not([data-loading])")
        page.reload()  # deep link: the address holds the step
        page.wait_for_selector("#diagram[data-state=rendered]")
        assert _step(page) == last and _drawn(page) == _expected(engine, case_id, last, drawn_ids)
    finally:
        context.close()
    assert errors == []


@pytest.mark.sqlite_only
def test_the_heatmap_draws_cases_and_times_on_the_diagram(browser: Any, demo: tuple[str, Engine, DemoResult]) -> None:  # noqa: F811
    base, engine, result = demo
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        _login(page, base, "auditor", result.passwords["auditor"])
        page.click("header nav >> text=热力图")
        page.click("a[href$='/heatmap/petition_case/v1']")
        page.wait_for_selector("#diagram[data-state=rendered]")
        heat = engine.stats.heatmap("petition_case", 1)
        badges = page.evaluate("() => Object.fromEntries(Array.from(document.querySelectorAll('.heat-badge'))"
                               ".map(b => [b.getAttribute('data-element'), b.textContent]))")
        register = next(h for h in heat.elements if h.element_id == "register_petition")
        assert badges["register_petition"].startswith(f"{register.instances} 件")
        assert len(badges) > 5 and page.locator("#diagram .djs-element[class*=anjie-heat-]").count() > 5
        # The top level shows the stages; a step inside one is marked in the stage's own picture.
        assert "anjie-heat-" in page.get_attribute("#diagram .djs-element[data-element-id=stage_register]", "class")
        page.click('.djs-overlays[data-container-id="stage_register"] .bjs-drilldown')
        level = page.get_attribute("#diagram .djs-element[data-element-id=register_petition]", "class")
        assert "anjie-heat-" in level
        assert page.locator("table.heatmap-elements tbody tr").count() == len(heat.elements)
        page.screenshot(path=str(SHOTS / "heatmap.png"))
    finally:
        context.close()
    assert errors == []
