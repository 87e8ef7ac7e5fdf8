"""The designer's JSON API (webapp/designer_api.py): versions, diff, can-migrate, migrate one and all."""

from __future__ import annotations

from flask.testing import FlaskClient

from engine import Engine
from tests.webapp.conftest import PROCESS, start_case
from tests.webapp.test_api import bearer


def test_versions_diff_and_moving_cases_over_the_api(client: FlaskClient, web_engine: Engine) -> None:
    designer = bearer(web_engine.accounts.create_token("designer"))
    handler = bearer(web_engine.accounts.create_token("handler"))
    at_visit = start_case(web_engine)
    at_reply = start_case(web_engine)
    web_engine.complete(at_reply.tasks[0].id, {"visit_date": "2026-03-02", "visit_notes": "ok"}, actor="handler")
    renamed = PROCESS.read_bytes().replace('name="起草答复"'.encode(), 'name="起草书面答复"'.encode())
    web_engine.deploy(renamed, actor="designer", note="改名")

    versions = client.get("/api/v1/processes/web_petition/versions", headers=designer).json
    assert [(v["version"], v["running"], v["change_note"]) for v in versions] == [(2, 0, "改名"), (1, 2, None)]
    diff = client.get("/api/v1/processes/web_petition/diff?from=1&to=2", headers=designer).json
    assert [(e["element_id"], e["changes"]) for e in diff["changed"]] == [("draft_reply", ["name"])]
    assert client.get("/api/v1/processes/web_petition/diff?from=1", headers=designer).status_code == 400

    check = client.get(f"/api/v1/instances/{at_reply.id}/migration?version=2", headers=designer).json
    assert not check["ok"] and check["problems"][0]["element_id"] == "draft_reply"
    assert client.post(f"/api/v1/instances/{at_visit.id}/migrate", headers=handler,
                       json={"version": 2}).status_code == 403
    refused = client.post(f"/api/v1/instances/{at_reply.id}/migrate", headers=designer, json={"version": 2})
    assert refused.status_code == 409 and refused.json["problems"][0]["reason"] == "element_changed"
    assert refused.json["problems"][0]["text"] == "案件当前所在的环节 draft_reply 在新版本中已修改。"

    assert client.post("/api/v1/processes/web_petition/migrate", headers=designer, json={
        "from_version": 1, "to_version": 2, "instance_ids": ["x"]}).status_code == 400
    bulk = client.post("/api/v1/processes/web_petition/migrate", headers=designer,
                       json={"from_version": 1, "to_version": 2}).json
    assert bulk["moved"] == [at_visit.id] and [r["instance_id"] for r in bulk["refused"]] == [at_reply.id]
    assert bulk["refused"][0]["problems"][0]["text"].endswith("在新版本中已修改。")
    assert web_engine.instance(at_visit.id).version == 2
    assert client.post(f"/api/v1/instances/{at_visit.id}/migrate", headers=designer,
                       json={"version": "x"}).status_code == 400
