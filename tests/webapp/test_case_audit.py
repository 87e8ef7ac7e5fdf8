"""webapp/case_audit.py: the audit page of a case: events with data before and after, filters,
the step replay as plain links, the deadlines, and who may open it (CSRF on, as in production)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from engine import Engine, FakeClock
from engine.chain import opens
from tests.webapp.conftest import Auth, start_case

VISIT = {"visit_date": "2025-04-17", "handling": "solve", "visit_notes": "当面听取"}


def _worked_case(engine: Engine, clock: FakeClock) -> Any:
    """A case whose handler visited the petitioner on day 1 and changed the reply on day 2."""
    case = start_case(engine)
    task = case.tasks[0]
    engine.claim(task.id, actor="handler")
    clock.advance(days=1)
    after = engine.complete(task.id, VISIT, actor="handler")
    return case, after


def _markers(page: str) -> dict[str, Any]:
    found = re.search(r"data-markers='([^']*)'", page)
    assert found, "the step panel carries the markers of its step"
    return dict(json.loads(found.group(1).replace("&#34;", '"').replace("&quot;", '"')))


def test_the_audit_page_lists_every_event_with_data_before_and_after(
    client: FlaskClient, auth: Auth, web_engine: Engine, clock: FakeClock
) -> None:
    case, _after = _worked_case(web_engine, clock)
    history = web_engine.history(case.id)
    auth.login("auditor")
    page = client.get(f"/cases/{case.id}/audit").text
    assert "审计" in page and f"共 {len(history)} 条记录" in page
    rows = re.findall(r'<tr id="event-(\d+)"', page)
    assert rows == [str(e.seq) for e in history]  # every event, in order, none left out
    completed = page.split(f'id="event-{next(e.seq for e in history if e.type == "task_completed")}"')[1]
    completed = completed.split("</tr>\n")[0]
    assert "见面听取诉求" in completed and "handler" in completed and "当面听取" in completed
    assert "<th scope=\"row\">听取情况</th><td>—</td><td>当面听取</td>" in completed  # before, after
    assert "解决到位" in completed  # an option shows its name
    assert 'aria-current="step"' in page.split(f'id="event-{history[-1].seq}"')[1].split(">")[0]


def test_each_step_is_a_plain_link_that_replays_the_case_as_it_stood(
    client: FlaskClient, auth: Auth, web_engine: Engine, clock: FakeClock
) -> None:
    case, _after = _worked_case(web_engine, clock)
    history = web_engine.history(case.id)
    ready = next(e.seq for e in history if opens(e))
    auth.login("auditor")
    page = client.get(f"/cases/{case.id}/audit?step={ready}").text
    assert f"第 {ready} 步之后" in page and f"第 {ready} 步，共 {history[-1].seq} 步" in page
    assert _markers(page)["active"] == ["visit_petitioner"]
    state = page.split('id="audit-state"')[1].split("</aside>")[0]
    assert "当面听取" not in state  # the data as it stood: the visit was not recorded yet
    assert f'href="/cases/{case.id}/audit?step={ready - 1}"' in state
    assert f'href="/cases/{case.id}/audit?step={ready + 1}"' in state
    assert f'name="step" min="1" max="{history[-1].seq}" value="{ready}"' in state  # the slider, a GET form
    last = client.get(f"/cases/{case.id}/audit?step={history[-1].seq}").text
    assert _markers(last)["active"] == ["draft_reply"] and "visit_petitioner" in _markers(last)["completed"]
    assert "当面听取" in last.split('id="audit-state"')[1].split("</aside>")[0]
    fragment = client.get(f"/cases/{case.id}/audit/state?step={ready}").text
    assert "<html" not in fragment and _markers(fragment) == _markers(page)
    for bad in ("0", str(history[-1].seq + 1), "x", "-1", str(2**70), "²", "1.5"):
        assert client.get(f"/cases/{case.id}/audit?step={bad}").status_code == 404
        assert client.get(f"/cases/{case.id}/audit/state?step={bad}").status_code == 404
    assert client.get(f"/cases/{case.id}/audit?step={ready}").status_code == 200


def test_events_filter_by_type_and_actor(client: FlaskClient, auth: Auth, web_engine: Engine, clock: FakeClock) -> None:
    case, _after = _worked_case(web_engine, clock)
    history = web_engine.history(case.id)
    auth.login("auditor")
    by_handler = client.get(f"/cases/{case.id}/audit?actor=handler").text
    seqs = re.findall(r'<tr id="event-(\d+)"', by_handler)
    assert seqs == [str(e.seq) for e in history if e.actor == "handler"] and len(seqs) == 2
    done = client.get(f"/cases/{case.id}/audit?type=task_completed").text
    assert re.findall(r'<tr id="event-(\d+)"', done) == [str(e.seq) for e in history if e.type == "task_completed"]
    assert 'value="task_completed" selected' in done
    step_link = f"/cases/{case.id}/audit?step=1&amp;type=task_completed"
    assert step_link in done  # stepping keeps the filter
    assert "没有符合条件的记录" in client.get(f"/cases/{case.id}/audit?actor=nobody").text


def test_deadlines_show_an_untouched_case_overdue_with_its_clock(
    client: FlaskClient, auth: Auth, web_engine: Engine, clock: FakeClock
) -> None:
    case = start_case(web_engine)
    clock.advance(days=17)  # nobody acted: the 15-day visit is two days late
    web_engine.fire_due_timers()
    auth.login("auditor")
    page = client.get(f"/cases/{case.id}/audit").text
    tasks = page.split('class="list audit-tasks"')[1].split("</table>")[0]
    assert "见面听取诉求" in tasks and "已超期 2天" in tasks and "未办结" in tasks
    clocks = page.split("法定期限")[1].split("</table>")[0]
    assert "visit_deadline" in clocks and "已超期 2 天" in clocks
    assert "第 3 步" in clocks  # the step that set it, a link to replay it


def test_a_task_done_late_says_by_whom_and_how_late(client: FlaskClient, auth: Auth, web_engine: Engine,
                                                     clock: FakeClock) -> None:
    case = start_case(web_engine)
    clock.advance(days=16, hours=3)
    task = case.tasks[0]
    web_engine.claim(task.id, actor="handler")
    web_engine.complete(task.id, VISIT, actor="handler")
    auth.login("auditor")
    tasks = client.get(f"/cases/{case.id}/audit").text.split('class="list audit-tasks"')[1].split("</table>")[0]
    row = tasks.split("见面听取诉求")[1].split("</tr>")[0]
    assert "超期 1天3小时 办结" in row
    assert re.search(r"<td>[^<]*handler[^<]*</td>", row)


@pytest.mark.parametrize("user, status", [("auditor", 200), ("coordinator", 200), ("supervisor", 200),
                                          ("admin", 200), ("handler", 403), ("clerk", 403),
                                          ("leader", 403), ("designer", 403)])
@pytest.mark.sqlite_only
def test_who_may_open_the_audit_page(client: FlaskClient, auth: Auth, web_engine: Engine, case: Any,
                                     user: str, status: int) -> None:
    web_engine.claim(case.tasks[0].id, actor="handler")  # the handler is involved, yet no auditor
    auth.login(user)
    for path in ("", "/state?step=1", "/diagram.xml"):
        assert client.get(f"/cases/{case.id}/audit{path}").status_code == status, path


@pytest.mark.sqlite_only
def test_the_audit_page_needs_a_login_and_changes_nothing(client: FlaskClient, auth: Auth, web_engine: Engine,
                                                          case: Any) -> None:
    resp = client.get(f"/cases/{case.id}/audit")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    auth.login("auditor")
    page = client.get(f"/cases/{case.id}/audit").text
    content = page.split("<main>")[1]
    assert 'method="post"' not in content  # nothing to change here
    assert client.post(f"/cases/{case.id}/audit").status_code == 405
    assert client.get("/cases/99999/audit").status_code == 404
    xml = client.get(f"/cases/{case.id}/audit/diagram.xml")
    assert xml.mimetype == "text/plain" and "attachment" in xml.headers["Content-Disposition"]
    case_page = client.get(f"/cases/{case.id}?step=2").text
    assert f'href="/cases/{case.id}/audit?step=2"' in case_page  # the case page links its audit
    assert web_engine.verify_history(case.id).ok


@pytest.mark.sqlite_only
def test_the_audit_page_in_english(client: FlaskClient, auth: Auth, web_engine: Engine, clock: FakeClock) -> None:
    case = start_case(web_engine)
    clock.advance(days=16)
    auth.login("auditor")
    client.post("/lang/en", data={"next": f"/cases/{case.id}/audit"})
    page = client.get(f"/cases/{case.id}/audit?step=1").text
    assert "Audit:" in page and "After step 1" in page and "Previous step" not in page  # step 1 has none
    assert "Next step" in page and "Statutory clocks" in page and "overdue by 1d" in page
