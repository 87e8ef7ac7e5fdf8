"""webapp/ledger_files.py: the ledger page's export buttons and what they download."""

from __future__ import annotations

import csv
import io

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook

from engine import Engine, FakeClock
from tests.conftest import PROCESSES
from tests.engine.ledger_cases import CASE_BPMN, add_case
from tests.webapp.conftest import Auth


def cases(engine: Engine, clock: FakeClock) -> None:
    """Three cases; the shipped petition diagram names the subjects (事项类别)."""
    for diagram in (PROCESSES / "risk_colour.dmn", PROCESSES / "petition_case.bpmn", CASE_BPMN):
        engine.deploy(diagram, actor="designer")
    add_case(engine, "T-1", due_in_days=1, risk_colour="red", three_cross=True, case_leader="leader")
    add_case(engine, "T-2", due_in_days=30, risk_colour="green", subject="organisation_personnel")
    add_case(engine, "T-3", due_in_days=30, risk_colour="red", campaign_id="another")
    clock.advance(days=3)


def test_the_xlsx_export_keeps_the_filters_and_reads_in_chinese(
        client: FlaskClient, auth: Auth, web_engine: Engine, clock: FakeClock) -> None:
    cases(web_engine, clock)
    auth.login("coordinator")
    page = client.get("/ledger/?colour=red&campaign=c-2026&page=1")
    assert 'href="/ledger/export.xlsx?colour=red&amp;campaign=c-2026"' in page.text, "filters kept, page dropped"
    response = client.get("/ledger/export.xlsx?colour=red&campaign=c-2026")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(response.data), read_only=True).active.iter_rows(values_only=True))
    head = list(rows[0])
    assert head[:5] == ["案件编号", "信访人", "信访人数", "事项类别", "标记"]
    assert [r[0] for r in rows[1:]] == ["T-1"]
    row = dict(zip(head, rows[1], strict=True))
    assert (row["风险等级"], row["标记"], row["超期天数"], row["化解"]) == ("红", "积案、三跨", 2, "否")
    assert row["状态"] == "办理中" and row["所处环节"] == "化解"


def test_the_csv_export_opens_in_excel(client: FlaskClient, auth: Auth, web_engine: Engine,
                                       clock: FakeClock) -> None:
    cases(web_engine, clock)
    auth.login("clerk")
    response = client.get("/ledger/export.csv?campaign=c-2026")
    assert response.status_code == 200 and response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert sorted(r[0] for r in rows[1:]) == ["T-1", "T-2"]
    assert "组织人事" in {r[3] for r in rows[1:]}


@pytest.mark.sqlite_only
def test_only_ledger_roles_export(client: FlaskClient, auth: Auth, web_engine: Engine, clock: FakeClock) -> None:
    cases(web_engine, clock)
    assert client.get("/ledger/export.csv").status_code in (302, 401)
    auth.login("handler")
    assert client.get("/ledger/export.csv").status_code == 403
    assert client.get("/ledger/export.pdf").status_code in (403, 404)
