"""The reminders page and the header counts (webapp/reminders.py), and the e-mail address on the
users page that reminders are mailed to."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from engine import Engine, FakeClock
from tests.webapp.conftest import Auth


def header(html: str) -> tuple[int, int]:
    """(overdue, near due) as the header's reminder link shows them (0 when absent)."""
    link = re.search(r'<a href="/reminders/" id="reminders-link">(.*?)</a>', html, re.S)
    assert link, "every signed-in page links the reminders"
    over = re.search(r'class="badge overdue"[^>]*>(\d+)<', link.group(1))
    near = re.search(r'class="badge near"[^>]*>(\d+)<', link.group(1))
    return int(over.group(1)) if over else 0, int(near.group(1)) if near else 0


def test_holder_and_leader_see_counts_and_list(client: FlaskClient, auth: Auth, case: Any,
                                                clock: FakeClock, web_engine: Engine) -> None:
    auth.login("handler")
    assert header(client.get("/").text) == (0, 0)
    assert "没有临期或超期的待办" in client.get("/reminders/").text
    clock.advance(days=13)  # the visit is due 15 days after registration
    page = client.get("/reminders/").text
    assert header(page) == (0, 1) and "见面听取诉求" in page and "张某土地征收补偿" in page
    auth.logout()
    auth.login("leader")  # leads the case; the task is the handlers' group's
    page = client.get("/reminders/").text
    assert header(page) == (0, 1) and "您包案的案件" in page
    auth.logout()
    auth.login("clerk")
    assert header(client.get("/").text) == (0, 0)
    auth.logout()
    clock.advance(days=3)
    auth.login("handler")
    page = client.get("/reminders/").text
    assert header(page) == (1, 0) and "row-overdue" in page
    token = web_engine.accounts.create_token("leader")
    api = client.get("/api/v1/reminders", headers={"Authorization": f"Bearer {token}"}).json
    assert (api["overdue"], api["near_due"]) == (1, 0)
    items = [(r["task_name"], r["threshold"], r["role"]) for r in api["items"]]
    assert items == [("见面听取诉求", "overdue", "leader")]


def test_admin_sets_an_email_address(client: FlaskClient, auth: Auth, web_engine: Engine) -> None:
    auth.login("admin")
    bad = client.post("/users/handler/details", data={"display_name": "韩承办", "unit": "", "email": "not an address"})
    assert bad.status_code == 302
    assert web_engine.accounts.find_user("handler").email is None
    client.post("/users/handler/details", data={"display_name": "韩承办", "unit": "城关镇", "email": "han@example.org"})
    user = web_engine.accounts.find_user("handler")
    assert (user.email, user.unit, user.display_name) == ("han@example.org", "城关镇", "韩承办")
    assert 'value="han@example.org"' in client.get("/users/").text
    added = client.post("/users/", data={"username": "zhao", "password": "long enough 1", "email": "zhao@example.org"})
    assert added.status_code == 302 and web_engine.accounts.find_user("zhao").email == "zhao@example.org"
    refused = client.post("/users/", data={"username": "qian", "password": "long enough 1", "email": "qian@"})
    assert refused.status_code == 400 and "电子邮箱地址格式不正确" in refused.text
    auth.logout()
    auth.login("handler")
    assert client.post("/users/handler/details", data={"email": "x@example.org"}).status_code == 403
