"""Export → import into a fresh campaign gives the same ledger (issue 16): cases registered by
hand, their ledger exported with the export's Chinese headers, the file imported into a fresh
database, exported again: the registration columns are equal row by row."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from openpyxl import load_workbook

from engine import Engine, import_cases, write_csv, write_xlsx
from engine.database import scratch_database
from engine.ledger_export import COLUMNS
from engine.ledger_readback import EXPORT_HEADERS
from engine.ledger_readback import FLAG_NAMES as KNOWN_FLAGS
from tests.conftest import POSTGRES_URL, PROCESSES, EngineWith
from tests.processes.test_backlog_campaign import START

SHIPPED = (PROCESSES / "risk_colour.dmn", PROCESSES / "petition_case.bpmn", PROCESSES / "backlog_campaign.bpmn")
#: The export's header row in Chinese, as the web app writes it (its catalogue; a web test
#: checks these names against it).
HEADERS = [EXPORT_HEADERS[c][0] for c in COLUMNS]
#: The columns a registration decides (the rest are decided by later steps of a case).
REGISTRATION = ("business_key", "petitioner_names", "petitioner_count", "subject", "flags", "petition_source",
                "demand", "campaign_id", "received_at")
#: How the export shows a few cells (option names and flag labels, as the web app does).
SUBJECT_NAMES = {"land_acquisition": "征地", "demolition": "拆迁", "litigation": "涉法涉诉"}
SOURCE_NAMES = {"visit": "来访", "letter": "来信", "online": "网上信访"}
FLAG_NAMES = {key: names[0] for key, names in KNOWN_FLAGS.items()}

CASES: list[dict[str, Any]] = [
    {"received_at": "2026-02-20", "petition_source": "visit", "petitioner_names": "张三", "petitioner_count": 1,
     "demand": "要求解决征地补偿", "subject": "land_acquisition", "backlog_case": True},
    {"received_at": "2026-02-25", "petition_source": "letter", "petitioner_names": "李四、王五、赵六、钱七、孙八",
     "petitioner_count": 5, "demand": "拆迁安置", "subject": "demolition", "collective_petition": True,
     "three_cross": True, "extreme_statement": True},
    {"received_at": "2026-03-01", "petition_source": "online", "petitioner_names": "周九", "petitioner_count": 1,
     "demand": "不服判决", "subject": "litigation", "escalated_petition": True, "three_separation": True},
]


def register_by_hand(engine: Engine, campaign: str) -> None:
    """Each case started and registered by a clerk through the registration task's form."""
    for n, values in enumerate(CASES, start=1):
        case = engine.start("petition_case", {}, actor="clerk", business_key=f"XF-2026-{n:03d}")
        [task] = case.tasks
        engine.complete(task.id, {"repeat_count": 0, **values, "campaign_id": campaign}, actor="clerk")


def render(column: str, value: Any) -> Any:
    """A cell as the web app's export shows it: option names, flag labels joined by 、."""
    if column == "subject":
        return SUBJECT_NAMES.get(value, value)
    if column == "petition_source":
        return SOURCE_NAMES.get(value, value)
    if column == "flags":
        return "、".join(FLAG_NAMES[f] for f in value)
    if isinstance(value, list):
        return "、".join(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return value


def exported(engine: Engine, fmt: str = "xlsx") -> bytes:
    out = io.BytesIO()
    rows = engine.ledger_export.rows()
    if fmt == "csv":
        write_csv(rows, HEADERS, out, render=render)
    else:
        write_xlsx(rows, HEADERS, out, render=render)
    return out.getvalue()


def registration_rows(body: bytes, fmt: str = "xlsx") -> dict[str, dict[str, Any]]:
    """The registration columns of an exported ledger, by case number."""
    if fmt == "csv":
        table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    else:
        table = [list(r) for r in load_workbook(io.BytesIO(body), read_only=True).active.iter_rows(values_only=True)]
    header, *rows = table
    at = {c: header.index(EXPORT_HEADERS[c][0]) for c in REGISTRATION}
    return {row[at["business_key"]]: {c: row[at[c]] for c in REGISTRATION} for row in rows}


@pytest.fixture
def fresh_db(db_url: str) -> Iterator[str]:
    """A second, empty database of the test's kind (SQLite or PostgreSQL)."""
    with scratch_database("postgresql" if db_url.startswith("postgresql") else "sqlite", POSTGRES_URL) as url:
        yield url


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_then_import_into_a_fresh_campaign_gives_the_same_ledger(
        engine_with: EngineWith, fresh_db: str, fmt: str) -> None:
    first = engine_with(*SHIPPED)
    first.start("backlog_campaign", {**START, "campaign_id": "c-2026"}, actor="coordinator")
    register_by_hand(first, "c-2026")
    body = exported(first, fmt)
    before = registration_rows(body, fmt)
    assert len(before) == 3 and before["XF-2026-002"]["flags"] == "三跨、集体访、过激言行"

    fresh = engine_with(*SHIPPED, db=fresh_db)
    fresh.start("backlog_campaign", {**START, "campaign_id": "c-2027"}, actor="coordinator")
    report = import_cases(fresh, body, campaign_id="c-2027", actor="clerk", file_name=f"ledger.{fmt}")
    assert not report.blocked and len(report.imported) == 3, report.problems
    assert all(p.code == "not_imported" for p in report.problems)
    assert sorted(p.column for p in report.problems) == \
        sorted(EXPORT_HEADERS[c][0] for c in COLUMNS if c not in REGISTRATION)

    after = registration_rows(exported(fresh, fmt), fmt)
    assert sorted(after) == sorted(before)
    for key, row in before.items():
        assert after[key] == {**row, "campaign_id": "c-2027"}, key
    # the imported cases went on through the process as the clerk's registrations did
    deadlines = {first.instance(r.instance_id).business_key: first.instance(r.instance_id).data["accept_deadline"]
                 for r in first.ledger_export.rows()}
    assert {fresh.instance(i).business_key: fresh.instance(i).data["accept_deadline"]
            for i in report.imported} == deadlines
