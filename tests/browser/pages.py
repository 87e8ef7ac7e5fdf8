"""Steps the browser tests share: a page of a signed-in user, the designer opened on a diagram."""

from __future__ import annotations

from typing import Any

from tests.webapp.conftest import PASSWORD


def signed_in(browser: Any, live_server: str, username: str, *, width: int = 1600,
              height: int = 1000, password: str = PASSWORD) -> tuple[Any, Any, list[str]]:
    """A new zh-CN context and page signed in as `username` (the tests' password unless given, e.g.
    the one the demo printed), and the list its script errors go to."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live_server + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button.primary")
    page.wait_for_selector("header nav")
    return context, page, errors


def open_designer(page: Any, live_server: str, key: str, version: int) -> None:
    """The modeler on a deployed version, once it is ready to edit."""
    page.goto(live_server + f"/designer/edit?key={key}&version={version}")
    page.wait_for_selector("#designer[data-state=ready]")


def three_repeats_make_a_case_red(page: Any, live_server: str) -> None:
    """The shipped decision table's test box in the designer: three repeat petitions give red."""
    open_designer(page, live_server, "risk_colour", 1)
    page.fill("#dmn-test-inputs", '{"escalated_petition": false, "extreme_statement": false, '
              '"collective_petition": false, "repeat_count": 3, "backlog_case": false, '
              '"three_cross": false, "three_separation": false, "subject": "other"}')
    page.click("#dmn-test button[type=submit]")
    page.wait_for_selector("#dmn-test-result[data-outputs*=red]")
