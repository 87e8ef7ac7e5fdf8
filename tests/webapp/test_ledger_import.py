"""The ledger import page (台账导入): roles, CSRF, the template, problems listed, the background job."""

from __future__ import annotations

import io
import re
import time
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook

from engine import Engine, EventType
from engine.campaigns import NewCampaign
from tests.conftest import PROCESSES
from tests.engine.test_ledger_import import good_row, workbook
from tests.webapp.conftest import Auth, start_case


@pytest.fixture
def ledger_engine(web_engine: Engine) -> Engine:
    for name in ("risk_colour.dmn", "petition_case.bpmn"):
        web_engine.deploy(PROCESSES / name, actor="designer")
    return web_engine


def upload(client: FlaskClient, body: bytes, **form: Any) -> Any:
    return client.post("/ledger/import/", data={"file": (io.BytesIO(body), "台账.xlsx"), **form},
                       content_type="multipart/form-data")


def finished(client: FlaskClient, job_page: str) -> dict[str, Any]:
    """Poll the job as the page's script does, until it is no longer running."""
    job_id = re.search(r"/jobs/(\d+)", job_page)
    assert job_id, job_page
    for _ in range(300):
        status = client.get(f"/ledger/import/jobs/{job_id.group(1)}.json").json
        if status["status"] != "running":
            return status
        time.sleep(0.1)
    raise AssertionError("the import job did not finish")


@pytest.mark.sqlite_only
def test_only_intake_clerks_and_coordinators_import(client: FlaskClient, auth: Auth, ledger_engine: Engine) -> None:
    auth.login("handler")
    assert client.get("/ledger/import/").status_code == 403
    assert upload(client, workbook([good_row(1)])).status_code == 403
    auth.logout()
    auth.login("coordinator")
    page = client.get("/ledger/")
    assert 'id="import-cases"' in page.text and "从 Excel 导入案件" in page.text
    assert client.get("/ledger/import/").status_code == 200
    template = client.get("/ledger/import/template.xlsx")
    assert template.status_code == 200 and template.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(template.data))
    assert [c.value for c in book["台账"][1]][:3] == ["案件编号", "收到日期 *", "来源 *"]
    assert book["填写说明"]["A1"].value == "列" and book["填写说明"]["D2"].value == "否"


@pytest.mark.sqlite_only
def test_an_upload_without_the_forms_csrf_token_is_refused(client: FlaskClient, auth: Auth,
                                                           ledger_engine: Engine) -> None:
    auth.login("clerk")
    refused = client.post("/ledger/import/", data={"file": (io.BytesIO(workbook([good_row(1)])), "a.xlsx")},
                          content_type="multipart/form-data", csrf=False)
    assert refused.status_code == 400
    assert ledger_engine.tasks(candidate_group="intake_clerk") == []


def test_problems_are_listed_and_only_the_good_rows_imported_on_request(client: FlaskClient, auth: Auth,
                                                                        ledger_engine: Engine) -> None:
    start_case(ledger_engine)
    ledger_engine.deploy(PROCESSES / "backlog_campaign.bpmn", actor="designer")
    ledger_engine.campaigns.start(NewCampaign(
        name="2025年积案化解", unit="城关镇", phase_names=["排查摸底", "集中化解", "巩固提升"],
        phase_last_days=[date(2026, 3, 31), date(2026, 6, 30), date(2026, 7, 31)]), actor="coordinator")
    auth.login("clerk")
    body = workbook([good_row(1), good_row(2, received="2026-02-30"), good_row(3)])
    page = upload(client, body, campaign="2025年积案化解")
    assert page.status_code == 200
    assert "共 3 行：无误 2 行，有问题 1 行" in page.text and "未导入任何案件" in page.text
    assert re.search(r"<td>3</td><td>收到日期</td><td>不是日期，请按 2026-03-02 的格式填写。</td>", page.text)
    before = {t.instance_id for t in ledger_engine.tasks()}
    sha = re.search(r'name="sha256" value="([0-9a-f]{64})"', page.text)
    assert sha and "只导入无误的 2 行" in page.text
    started = client.post("/ledger/import/run", data={"sha256": sha.group(1), "file_name": "台账.xlsx",
                                                      "campaign": "2025年积案化解", "only_good_rows": "1"})
    assert started.status_code == 302
    job_page = client.get(started.headers["Location"])
    assert '<progress id="import-progress"' in job_page.text and "ledger_import.js" in job_page.text
    status = finished(client, started.headers["Location"])
    assert status["status"] == "done" and status["report"]["imported"] == 2, status
    new = {t.instance_id for t in ledger_engine.tasks()} - before
    assert len(new) == 2
    for case_id in new:
        case = ledger_engine.instance(case_id)
        assert case.data["campaign_id"] == "2025年积案化解"
        imported = [e for e in ledger_engine.history(case_id) if e.type == EventType.INSTANCE_IMPORTED]
        assert imported[0].actor == "clerk" and imported[0].detail["row"] in (2, 4)


def test_a_good_file_imports_at_once_and_again_creates_nothing(client: FlaskClient, auth: Auth,
                                                               ledger_engine: Engine) -> None:
    auth.login("clerk")
    body = workbook([good_row(n) for n in range(1, 4)])
    first = upload(client, body)
    assert first.status_code == 302
    assert finished(client, first.headers["Location"])["report"]["imported"] == 3
    again = upload(client, body)
    assert again.status_code == 302
    report = finished(client, again.headers["Location"])["report"]
    assert report["imported"] == 0 and report["skipped"] == 3
    index = client.get("/ledger/import/")
    assert index.text.count("台账.xlsx") == 2  # both imports listed
    assert upload(client, body, campaign="no such campaign").status_code == 400
