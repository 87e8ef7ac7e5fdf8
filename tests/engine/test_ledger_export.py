"""engine/ledger_export.py: the filtered ledger as .xlsx (read back with openpyxl) and as CSV."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from engine import EXPORT_COLUMNS, FakeClock, LedgerFilter, csv_chunks, write_xlsx
from tests.conftest import EngineWith
from tests.engine.ledger_cases import CASE_BPMN, add_case

HEADERS = [f"列{n}" for n in range(len(EXPORT_COLUMNS))]


def column(name: str) -> int:
    return EXPORT_COLUMNS.index(name)


def test_export_keeps_the_ledgers_filters_and_reads_back(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with(CASE_BPMN)
    add_case(engine, "X-1", due_in_days=10, risk_colour="red", case_class="C", three_cross=True,
             petitioner_names="李甲、李乙", petitioner_count=2, campaign_id="c-2026")
    add_case(engine, "X-2", due_in_days=2, campaign_id="c-2026", subject="litigation")
    add_case(engine, "X-3", due_in_days=30, campaign_id="other", case_class="A", petitioning_stopped=True,
             case_closed_at="2026-03-01T10:00:00+08:00")
    clock.advance(days=5)  # X-2's task is 3 days late now

    out = io.BytesIO()
    rows = engine.ledger_export.rows(LedgerFilter(campaign_id="c-2026"), batch=1)  # batches of one: keyset paging
    assert write_xlsx(rows, HEADERS, out) == 2
    sheet = load_workbook(io.BytesIO(out.getvalue()), read_only=True).active
    got = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert got[0] == HEADERS
    by_key = {r[column("business_key")]: r for r in got[1:]}
    assert set(by_key) == {"X-1", "X-2"}, "only the filtered campaign"
    first, second = by_key["X-1"], by_key["X-2"]
    assert first[column("petitioner_names")] == "李甲、李乙" and first[column("petitioner_count")] == 2
    assert first[column("risk_colour")] == "red" and first[column("case_class")] == "C"
    assert first[column("flags")] == "backlog_case、three_cross"
    assert first[column("case_leader")] == "wang" and first[column("case_handler")] == "li"
    assert first[column("phases")] == "化解" and first[column("days_overdue")] == 0
    assert first[column("handling_deadline")] == "2026-04-20"
    assert second[column("days_overdue")] == 3 and "litigation" in second[column("flags")]
    assert second[column("status")] == "running" and second[column("resolved")] is False

    overdue = list(engine.ledger_export.rows(LedgerFilter(overdue=True)))
    assert [r.values["business_key"] for r in overdue] == ["X-2"]
    by_class = list(engine.ledger_export.rows(LedgerFilter(case_class="A")))
    assert [(r.values["business_key"], r.values["resolved"], r.values["petitioning_stopped"])
            for r in by_class] == [("X-3", True, True)]


def test_csv_is_utf8_with_a_bom_and_a_row_per_case(engine_with: EngineWith) -> None:
    engine = engine_with(CASE_BPMN)
    for n in range(3):
        add_case(engine, f"C-{n}", due_in_days=5, petitioner_names=f"王{n}")
    body = b"".join(csv_chunks(engine.ledger_export.rows(), HEADERS, every=2))
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == HEADERS
    assert sorted(r[column("petitioner_names")] for r in rows[1:]) == ["王0", "王1", "王2"]
    assert all(len(r) == len(EXPORT_COLUMNS) for r in rows)
