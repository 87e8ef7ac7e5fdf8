"""webapp/heatmap.py: the heatmap page of a process version: the table, the diagram's data, the
campaign and date filters, bad dates, and who may open it."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from engine import Engine, FakeClock
from tests.webapp.conftest import Auth, start_case

VISIT = {"visit_date": "2025-04-17", "handling": "solve", "visit_notes": "听取"}


def _visit(engine: Engine, case: Any) -> None:
    task = case.tasks[0]
    engine.claim(task.id, actor="handler")
    engine.complete(task.id, VISIT, actor="handler")


def _row(page: str, element_id: str) -> list[str]:
    row = page.split(f'<tr data-element="{element_id}">')[1].split("</tr>")[0]
    return re.findall(r"<td>([^<]*)</td>", row)


def _cases(engine: Engine, clock: FakeClock) -> None:
    """Two cases of campaign 2025 visited after 1 and 3 days (2 March); one of campaign 2026
    registered 20 days later that nobody works."""
    first, second = start_case(engine), start_case(engine)
    clock.advance(days=1)
    _visit(engine, first)
    clock.advance(days=2)
    _visit(engine, second)
    clock.advance(days=17)
    start_case(engine, campaign_id="2026年积案化解")
    clock.advance(days=16)


def test_the_heatmap_counts_cases_and_times_per_element(client: FlaskClient, auth: Auth, web_engine: Engine,
                                                        clock: FakeClock) -> None:
    _cases(web_engine, clock)
    auth.login("auditor")
    page = client.get("/heatmap/web_petition/v1").text
    assert "热力图" in page and "所选范围内有 3 件案件经过" in page
    assert _row(page, "visit_petitioner") == ["3", "3", "1", "2天", "2天19小时"]
    assert _row(page, "draft_reply")[:3] == ["2", "2", "2"]
    overdue = page.split('class="list heatmap-overdue"')[1].split("</table>")[0]
    assert "见面听取诉求" in overdue and "<td>3</td><td>1</td><td>33%</td>" in overdue
    heat = json.loads(re.search(r"data-heat='([^']*)'", page).group(1).replace("&#34;", '"'))  # type: ignore[union-attr]
    assert heat["visit_petitioner"]["instances"] == 3 and heat["visit_petitioner"]["level"] == 5
    assert heat["set_deadline"]["level"] == 0  # a script passes in no time
    assert heat["draft_reply"]["level"] is None  # open in both cases: no time to colour yet
    assert 'data-xml-url="/heatmap/web_petition/v1/diagram.xml"' in page


def test_the_heatmap_filters_by_campaign_and_dates(client: FlaskClient, auth: Auth, web_engine: Engine,
                                                   clock: FakeClock) -> None:
    _cases(web_engine, clock)
    auth.login("coordinator")
    page = client.get("/heatmap/web_petition/v1?campaign=2026年积案化解").text
    assert "所选范围内有 1 件案件经过" in page and 'value="2026年积案化解" selected' in page
    assert _row(page, "visit_petitioner")[:3] == ["1", "1", "1"]
    early = client.get("/heatmap/web_petition/v1?since=2026-03-02&until=2026-03-02").text
    assert "所选范围内有 2 件案件经过" in early and 'value="2026-03-02"' in early
    assert "draft_reply" not in early.split('class="list heatmap-elements"')[1]  # began on later days
    late = client.get("/heatmap/web_petition/v1?since=2026-03-10").text
    assert "所选范围内有 1 件案件经过" in late
    empty = client.get("/heatmap/web_petition/v1?since=2030-01-01").text
    assert "所选范围内没有案件经过此版本" in empty


@pytest.mark.sqlite_only
def test_bad_dates_are_refused_with_the_form_kept(client: FlaskClient, auth: Auth, web_engine: Engine) -> None:
    start_case(web_engine)
    auth.login("auditor")
    resp = client.get("/heatmap/web_petition/v1?since=2026-13-01&campaign=2025年积案化解")
    assert resp.status_code == 400 and "请按 YYYY-MM-DD 格式填写日期" in resp.text
    assert 'value="2026-13-01"' in resp.text and 'value="2025年积案化解" selected' in resp.text
    backwards = client.get("/heatmap/web_petition/v1?since=2026-03-05&until=2026-03-01")
    assert backwards.status_code == 400 and "结束日期早于开始日期" in backwards.text
    assert client.get("/heatmap/web_petition/v9").status_code == 404
    assert client.get("/heatmap/nothing/v1").status_code == 404


@pytest.mark.parametrize("user, status", [("auditor", 200), ("supervisor", 200), ("admin", 200),
                                          ("coordinator", 200), ("handler", 403), ("designer", 403),
                                          ("clerk", 403)])
@pytest.mark.sqlite_only
def test_who_may_open_the_heatmaps(client: FlaskClient, auth: Auth, user: str, status: int) -> None:
    auth.login(user)
    for path in ("/heatmap/", "/heatmap/web_petition/v1", "/heatmap/web_petition/v1/diagram.xml"):
        assert client.get(path).status_code == status, path
    if status == 200:
        assert 'href="/heatmap/web_petition/v1"' in client.get("/heatmap/").text
        assert 'href="/heatmap/"' in client.get("/heatmap/").text  # in the navigation
