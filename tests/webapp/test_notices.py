"""Written notices (webapp/notices.py, engine/notices.py) on the shipped petition_case: each kind
generated where the case stands at its task, read back as .docx, kept as a case document the
六有 dossier counts, recorded in history; the admin's templates, versioned, refused to others."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator

import pytest
from docx import Document
from flask.testing import FlaskClient

from engine import Engine, FakeClock, docx_text
from tests.conftest import EngineWith
from tests.processes.conftest import Driver, live_driver
from tests.processes.test_petition_case import (
    LEADER,
    REGISTER,
    SATISFIED,
    SIGN_OFF,
    SIX,
    inquiry_and_plan,
    look_listen_ask,
)
from tests.webapp.conftest import PASSWORD, ROLE_USERS, Auth


@pytest.fixture
def driver(engine_with: EngineWith, clock: FakeClock) -> Iterator[Driver]:
    """The shipped diagrams on the test database, driven by element id up to where the web takes over."""
    yield from live_driver(engine_with, clock)


@pytest.fixture
def web_engine(driver: Driver) -> Engine:
    """The app's engine is the driver's: the shipped diagrams and one user per role; the case's
    leader and handler (wang, li) sign in too."""
    for name, groups in {**ROLE_USERS, "wang": ["case_leader"], "li": ["case_handler"],
                         "head": ["leading_group"]}.items():
        driver.engine.accounts.add_user(name, PASSWORD, groups)
    return driver.engine


def generate(client: FlaskClient, d: Driver, kind: str) -> tuple[str, bytes]:
    """Press the case page's button for `kind`; the notice's attachment id and bytes."""
    page = client.get(f"/cases/{d.instance_id}").text
    assert f'value="{kind}"' in page, f"no {kind} button on the case page"
    before = {a.id for a in d.engine.attachments.list(d.instance_id)}
    done = client.post(f"/cases/{d.instance_id}/notices/{kind}")
    assert done.status_code == 302 and "/tasks/" in done.headers["Location"]
    new = [a for a in d.engine.attachments.list(d.instance_id) if a.id not in before]
    assert len(new) == 1 and new[0].notice == kind and new[0].filename.endswith(".docx")
    with client.get(f"/cases/{d.instance_id}/attachments/{new[0].id}") as resp:
        body = resp.data
    assert hashlib.sha256(body).hexdigest() == new[0].sha256
    return new[0].id, body


def test_not_accepted_notice_from_the_clerks_draft(client: FlaskClient, auth: Auth, driver: Driver) -> None:
    d = driver
    d.start("petition_case")
    d.complete("register_petition", **REGISTER)
    task = d.task("check_acceptance")
    auth.login("handler")
    assert 'id="generate-notices"' not in client.get(f"/cases/{d.instance_id}").text
    assert client.post(f"/cases/{d.instance_id}/notices/not_accepted_notice").status_code in (403, 404)
    auth.logout()
    auth.login("clerk")
    # The clerk types the decision and saves a draft; the notice is filled from it.
    client.post(f"/tasks/{task.id}/draft", data={"accept_decision": "not_accepted",
                                                  "not_accepted_reason": "该事项属于劳动争议仲裁范围",
                                                  "redirect_channel": "arbitration"})
    # A notice of another stage is refused at this one.
    assert client.post(f"/cases/{d.instance_id}/notices/reply_opinion").status_code == 409
    assert client.post(f"/cases/{d.instance_id}/notices/not_accepted_notice", csrf=False).status_code == 400
    att_id, body = generate(client, d, "not_accepted_notice")
    text = docx_text(body)
    assert "信访事项不予受理告知书" in text
    assert "张某：" in text and "养殖场补偿" in text and "2026年3月2日" in text
    assert "该事项属于劳动争议仲裁范围" in text and "仲裁" in text and "arbitration" not in text
    assert "{{" not in text and "信访工作办公室" in text
    # Recorded in history with its name and sha256, by the clerk, at the task.
    event = [e for e in d.engine.history(d.instance_id) if e.type == "attachment_added"][-1]
    assert event.actor == "clerk" and event.task_id == task.id
    assert event.detail["notice"] == {"kind": "not_accepted_notice", "template_version": 0}
    assert event.detail["sha256"] == hashlib.sha256(body).hexdigest()
    timeline = client.get(f"/cases/{d.instance_id}").text
    assert f'{event.detail["filename"]} <small class="muted">系统生成</small>' in timeline, "history names it"
    # The task's document field offers it; completing with it is accepted.
    assert client.post(f"/tasks/{task.id}/claim").status_code == 302
    task_page = client.get(f"/tasks/{task.id}").text
    assert f'value="{att_id}"' in task_page
    assert 'value="not_accepted_notice"' in task_page and 'value="accept_notice"' in task_page, \
        "the task page offers its notices too"
    done = client.post(f"/tasks/{task.id}/complete", data={
        "accept_decision": "not_accepted", "not_accepted_reason": "该事项属于劳动争议仲裁范围",
        "redirect_channel": "arbitration", "accept_notice_ref": att_id})
    assert done.status_code == 302, done.text
    assert d.data()["accept_notice_ref"] == att_id
    assert "notify_not_accepted" in d.ready()


def test_each_notice_at_its_stage_and_the_dossier_counts_one(client: FlaskClient, auth: Auth,
                                                             driver: Driver) -> None:
    d = driver
    d.start("petition_case")
    d.complete("register_petition", **REGISTER)
    auth.login("clerk")
    accept_id, body = generate(client, d, "accept_notice")
    assert "予以受理" in docx_text(body) and "养殖场补偿" in docx_text(body)
    d.complete("check_acceptance", accept_decision="accepted", accept_notice_ref=accept_id)
    d.complete("confirm_risk_colour", risk_override=False)
    d.complete("assign_case_leader", **LEADER)
    look_listen_ask(d)
    inquiry_and_plan(d)
    d.complete("request_extension", extension_reason="需补充证据", extension_days=30)
    d.complete("approve_extension", extension_approved=True, approved_extension_days=30,
               extension_approval_note="同意")
    auth.logout()
    auth.login("li")
    _, body = generate(client, d, "extension_notice")
    text = docx_text(body)
    assert "因需补充证据" in text and "延长30日" in text and "2026年6月5日" in text
    d.complete("notify_extension", extension_notice_ref=_)
    d.complete("solve_demand", solution_record="已解决")
    task = d.task("draft_reply")
    client.post(f"/tasks/{task.id}/draft", data={"reply_text": "经核实，补偿款已按标准足额发放。"})
    reply_id, body = generate(client, d, "reply_opinion")
    assert "经核实，补偿款已按标准足额发放。" in docx_text(body)
    d.complete("draft_reply", reply_text="经核实，补偿款已按标准足额发放。", reply_ref=reply_id)
    d.complete("approve_reply", reply_approved=True)
    d.complete("record_reply", reply_delivered_on="2026-03-02")
    d.complete("assess_satisfaction", **SATISFIED)
    # The generated reply is one of the 六有: the dossier check passes with it.
    d.complete("compile_dossier", **{**SIX, "dossier_reply_and_visit_records": reply_id})
    assert d.data()["dossier_missing"] == [] and "sign_off_case" in d.ready()
    d.complete("sign_off_case", **{**SIGN_OFF, "follow_up_times": 1})
    auth.logout()
    auth.login("coordinator")
    d.complete("request_review", review_requested=True, review_requested_on="2026-03-12")
    client.post(f"/tasks/{d.task('review_case').id}/draft", data={"review_decision": "upheld"})
    review_id, body = generate(client, d, "review_opinion")
    assert "2026年3月12日" in docx_text(body) and "请求复查" in docx_text(body)
    d.complete("review_case", review_decision="upheld", review_opinion_ref=review_id)
    d.complete("request_second_review", second_review_requested=True, second_review_requested_on="2026-03-22")
    _, body = generate(client, d, "second_review_opinion")
    assert "2026年3月22日" in docx_text(body) and "终结意见" in docx_text(body)
    kinds = [a.notice for a in d.engine.attachments.list(d.instance_id) if a.notice]
    assert kinds == ["accept_notice", "extension_notice", "reply_opinion", "review_opinion",
                     "second_review_opinion"]


def _docx_with_split_placeholder() -> bytes:
    """A template as Word saves it: a placeholder split across runs, one in a table cell."""
    doc = Document()
    p = doc.add_paragraph()
    for piece in ("尊敬的{{peti", "tioner_", "names}}："):
        p.add_run(piece)
    doc.add_paragraph("编号：{{case_number}}")
    doc.add_table(rows=1, cols=1).cell(0, 0).text = "诉求：{{demand}}"
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def test_admin_edits_templates_in_versions_others_refused(client: FlaskClient, auth: Auth, driver: Driver) -> None:
    d = driver
    d.start("petition_case")
    d.complete("register_petition", **REGISTER)
    page = "/notices/templates/accept_notice"
    for name in ("coordinator", "clerk", "auditor"):
        auth.login(name)
        assert client.get("/notices/templates").status_code == 403
        assert client.post(page, data={"title": "x", "body": "y"}).status_code == 403
        auth.logout()
    auth.login("admin")
    assert "受理告知书" in client.get("/notices/templates").text
    edit = client.get(page).text
    assert "{{petitioner_names}}" in edit and "信访事项受理告知书" in edit
    refused = client.post(page, data={"title": "受理告知", "body": "{{petitioner_nam}}：受理。", "signature": ""})
    assert refused.status_code == 400 and "{{petitioner_nam}}" in refused.text
    saved = client.post(page, data={"title": "受理通知",
                                    "body": "{{petitioner_names}}：你的事项已受理，编号{{case_number}}。",
                                    "signature": "某县信访局\n{{today}}"})
    assert saved.status_code == 302
    upload = client.post(page, data={"docx": (io.BytesIO(_docx_with_split_placeholder()), "受理.docx")},
                         content_type="multipart/form-data")
    assert upload.status_code == 302
    not_docx = client.post(page, data={"docx": (io.BytesIO(b"plain text"), "x.docx")},
                           content_type="multipart/form-data")
    assert not_docx.status_code == 400
    versions = d.engine.notices.versions("accept_notice")
    assert [v.version for v in versions] == [2, 1, 0] and versions[0].docx_filename == "受理.docx"
    assert versions[1].body.startswith("{{petitioner_names}}：你的事项已受理")
    assert client.get(f"{page}/2.docx").status_code == 200
    auth.logout()
    auth.login("clerk")
    _, body = generate(client, d, "accept_notice")
    text = docx_text(body)
    assert "尊敬的张某：" in text and f"编号：{d.instance_id}" in text and "诉求：养殖场补偿" in text
    assert re.search(r"\{\{", text) is None
