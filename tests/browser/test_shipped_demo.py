"""The shipped product in a browser: the demo on processes/ (what `scripts/run.sh` starts).

A case handler signs in with a printed demo password, works a 一看二听三问 task of the shipped
petition_case form, and sees the case page draw the real diagram; a coordinator reads the
ledger. Screenshots (demo_*.png) go to docs/screenshots/ with ANJIE_UPDATE_SCREENSHOTS=1.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from engine import Engine, Settings
from tests.browser.test_handler_journey import SHOTS
from tests.conftest import PROCESSES, EngineWith
from webapp import create_app
from webapp.demo import DemoResult, seed


@pytest.fixture
def demo(engine_with: EngineWith, db_url: str, tmp_path: Path) -> Iterator[tuple[str, Engine, DemoResult]]:
    """The demo seeded on the shipped diagrams, served on a free loopback port."""
    settings = Settings(database_url=db_url, secret_key="demo-test", upload_dir=str(tmp_path / "up"))
    engine = engine_with(settings=settings)
    engine.accounts.scrypt_n = 2**4
    result = seed(engine, PROCESSES)
    server = make_server("127.0.0.1", 0, create_app(settings, engine=engine), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", engine, result
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def _login(page: Any, base: str, user: str, password: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.press("input[name=password]", "Enter")
    page.wait_for_selector("table.list")


@pytest.mark.sqlite_only
def test_handler_works_the_shipped_petition_case(browser: Any, demo: tuple[str, Engine, DemoResult]) -> None:
    base, engine, result = demo
    assert len(result.case_ids) == 7
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        _login(page, base, "handler", result.passwords["handler"])
        assert "实地查看" in page.inner_text("table.list")
        page.screenshot(path=str(SHOTS / "demo_inbox.png"), full_page=True)

        def visited() -> set[int]:
            return {i for i in result.case_ids if any(
                e.element_id == "site_visit" and e.type == "task_completed" for e in engine.history(i))}

        before = visited()
        page.click("text=实地查看 >> nth=0")
        page.wait_for_selector("#complete")
        assert page.locator("#f-site_visit_record").count() == 1
        page.click("#complete")  # the required site visit record is missing
        assert "此项为必填项" in page.inner_text("#error-site_visit_record")
        page.fill("#f-site_visit_record", "到现场查看了养殖场及征地范围")
        page.screenshot(path=str(SHOTS / "demo_task.png"), full_page=True)
        page.click("#complete")
        page.wait_for_selector("text=任务已办结")

        (case_id,) = visited() - before
        page.goto(f"{base}/cases/{case_id}")
        page.wait_for_selector("#diagram[data-state=rendered]", timeout=15_000)
        assert page.locator(".djs-element.anjie-done").count() >= 5
        assert page.locator(".djs-element.anjie-active").count() >= 1
        assert "实地查看" in page.inner_text(".timeline") or "实地查看" in page.content()
        page.screenshot(path=str(SHOTS / "demo_case.png"), full_page=True)
        assert not errors, errors
    finally:
        context.close()


@pytest.mark.sqlite_only
def test_coordinator_reads_the_demo_ledger(browser: Any, demo: tuple[str, Engine, DemoResult]) -> None:
    base, _engine, result = demo
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    page = context.new_page()
    try:
        _login(page, base, "coordinator", result.passwords["coordinator"])
        page.goto(base + "/ledger/")
        page.wait_for_selector("table.list")
        text = page.inner_text("table.list")
        assert "XF-2025-0001" in text and "XF-2025-0007" in text
        page.screenshot(path=str(SHOTS / "demo_ledger.png"), full_page=True)
    finally:
        context.close()
