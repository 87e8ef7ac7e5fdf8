"""webapp/report_api.py: the ledger export and reports over the API, with bearer tokens."""

from __future__ import annotations

import csv
import io

from docx import Document
from flask.testing import FlaskClient
from openpyxl import load_workbook

from engine import Engine, FakeClock
from tests.conftest import EngineWith
from tests.engine.ledger_cases import add_case, campaign_in_resolve_phase


def bearer(engine: Engine, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {engine.accounts.create_token(user)}"}


def test_ledger_export_and_reports_over_the_api(client: FlaskClient, web_engine: Engine,
                                                engine_with: EngineWith, clock: FakeClock) -> None:
    d = campaign_in_resolve_phase(engine_with, clock)
    add_case(d.engine, "A-1", due_in_days=2, risk_colour="red")
    add_case(d.engine, "A-2", due_in_days=30, risk_colour="green")
    d.advance(days=7)
    coordinator, handler = bearer(web_engine, "coordinator"), bearer(web_engine, "handler")

    response = client.get("/api/v1/ledger/export?format=csv&colour=red", headers=coordinator)
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["A-1"]
    sheet = load_workbook(io.BytesIO(client.get("/api/v1/ledger/export?overdue=1", headers=coordinator).data),
                          read_only=True).active
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["A-1"]
    assert client.get("/api/v1/ledger/export", headers=handler).status_code == 403
    assert client.get("/api/v1/ledger/export?format=pdf", headers=coordinator).status_code == 400

    listed = client.get("/api/v1/reports?campaign=c-2026", headers=coordinator).json
    assert [(r["kind"], r["label"], r["status"]) for r in listed] == [("weekly_bulletin", "2026年第15周", "draft")]
    assert listed[0]["totals"]["overdue"] == 1 and "content" not in listed[0]
    one = client.get(f"/api/v1/reports/{listed[0]['id']}", headers=coordinator).json
    assert one["content"]["overdue_by_leader"][0]["cases"][0]["business_key"] == "A-1"
    word = client.get(f"/api/v1/reports/{listed[0]['id']}/download", headers=coordinator)
    assert "A-1" in {c.text for t in Document(io.BytesIO(word.data)).tables for r in t.rows for c in r.cells}
    assert client.get("/api/v1/reports", headers=handler).status_code == 403
    assert client.get("/api/v1/reports/999", headers=coordinator).status_code == 404
    assert "/reports/{report_id}/download" in client.get("/api/v1/openapi.json", headers=coordinator).json["paths"]
