"""The ledger export uploads back (issue 16, export → import): every header and flag label the
export writes, in either language, is one the import reads; a downloaded export imports with
the later steps' columns listed once as not imported."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale

from engine import EXPORT_COLUMNS, Engine
from engine.ledger_columns import KEY_ALIASES, normal_header
from engine.ledger_export import FLAG_FIELDS
from engine.ledger_readback import READ_BACK, export_column, flag_fields
from tests.conftest import PROCESSES
from tests.engine.test_ledger_roundtrip import CASES
from tests.webapp.conftest import Auth
from tests.webapp.test_ledger_import import finished
from webapp.ledger_files import FLAG_LABELS, headers

ALL_FLAGS = set(FLAG_FIELDS)


@pytest.fixture
def ledger_engine(web_engine: Engine) -> Engine:
    for name in ("risk_colour.dmn", "petition_case.bpmn"):
        web_engine.deploy(PROCESSES / name, actor="designer")
    return web_engine


def test_every_header_and_flag_the_export_writes_is_read_back(app: Flask) -> None:
    for locale, case_number in (("zh_CN", "案件编号"), ("en", "Case number")):
        with app.test_request_context(), force_locale(locale):
            written = headers()
            assert written[0] == case_number
            assert normal_header(written[0]) in {normal_header(k) for k in KEY_ALIASES}
            assert [export_column(normal_header(h)) for h in written[1:]] == list(EXPORT_COLUMNS[1:]), locale
            for key, label in FLAG_LABELS.items():
                flags = flag_fields(str(label), ALL_FLAGS)
                assert isinstance(flags, dict), (locale, str(label))
                assert flags.get(key, True) is True  # a flag the form sets reads as set


def test_a_downloaded_export_uploads_back(client: FlaskClient, auth: Auth, ledger_engine: Engine) -> None:
    for n, values in enumerate(CASES, start=1):
        [task] = ledger_engine.start("petition_case", {}, actor="clerk", business_key=f"XF-{n}").tasks
        ledger_engine.complete(task.id, {"repeat_count": 0, **values}, actor="clerk")
    auth.login("coordinator")
    for fmt in ("xlsx", "csv"):
        exported = client.get(f"/ledger/export.{fmt}")
        assert exported.status_code == 200
        page = client.post("/ledger/import/", data={"file": (io.BytesIO(exported.data), f"台账.{fmt}")},
                           content_type="multipart/form-data", follow_redirects=True)
        status = finished(client, page.text)
        assert status["status"] == "done", status
        job = client.get(f"/ledger/import/jobs/{status['id']}")
        assert "未导入的列" in job.text and "风险等级" in job.text and "办理期限" in job.text
        assert "信访人、" not in job.text  # a registration column is read, not listed
    assert sum(1 for _ in ledger_engine.ledger_export.rows()) == len(CASES)  # all skipped: nothing twice

    assert set(READ_BACK) <= set(EXPORT_COLUMNS)
