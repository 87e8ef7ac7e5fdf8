"""webapp/campaigns.py: starting a three-phase campaign from the form (CSRF on), the campaign page
with its current phase and targets against actual figures, and cases joining from a list."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import pytest
from flask.testing import FlaskClient

from engine import Engine, EventType, FakeClock
from tests.conftest import PROCESSES
from tests.webapp.conftest import start_case

CAMPAIGN = "2026年信访积案化解攻坚行动"


@pytest.fixture
def campaign_engine(web_engine: Engine) -> Engine:
    """The web engine with the campaign process deployed."""
    web_engine.deploy(PROCESSES / "backlog_campaign.bpmn", actor="designer")
    return web_engine


def three_phase_form(**extra: str) -> dict[str, str]:
    """What a coordinator types to start a three-phase campaign (seed 003's 认定交办 / 处理化解 / 审理结案)."""
    return {"name": CAMPAIGN, "unit": "恒口示范区",
            "phase_1_name": "认定交办", "phase_1_ends": "2026-03-31",
            "phase_2_name": "处理化解", "phase_2_ends": "2026-08-31",
            "phase_3_name": "审理结案", "phase_3_ends": "2026-09-30",
            "target_closed_rate": "95", "target_resolve_rate": "90", "target_petitioning_stopped_rate": "85",
            "kind_1": "collective", "kind_1_rate": "resolve_rate", "kind_1_percent": "80",
            "kind_2": "individual", "kind_2_rate": "resolve_rate", "kind_2_percent": "90", **extra}


@pytest.mark.sqlite_only
def test_only_coordinators_start_campaigns(client: FlaskClient, auth: Any, campaign_engine: Engine) -> None:
    assert client.get("/campaigns/new").status_code == 302  # to the login page
    auth.login("handler")
    assert client.get("/campaigns/").status_code == 403
    assert client.get("/campaigns/new").status_code == 403
    auth.logout()
    auth.login("supervisor")
    assert client.get("/campaigns/").status_code == 200
    assert client.post("/campaigns/new", data=three_phase_form()).status_code == 403
    auth.logout()
    auth.login("coordinator")
    assert client.post("/campaigns/new", data=three_phase_form(), csrf=False).status_code == 400  # no CSRF token
    assert campaign_engine.campaigns.find() == []


def test_a_coordinator_starts_a_three_phase_campaign(client: FlaskClient, auth: Any, campaign_engine: Engine,
                                                     clock: FakeClock) -> None:
    auth.login("coordinator")
    page = client.get("/campaigns/new")
    assert page.status_code == 200 and "phase_4_name" in page.text
    resp = client.post("/campaigns/new", data=three_phase_form())
    assert resp.status_code == 302
    (campaign,) = campaign_engine.campaigns.find()
    assert unquote(resp.headers["Location"]).endswith(f"/campaigns/{campaign.campaign_id}")
    assert [p.name for p in campaign.phases] == ["认定交办", "处理化解", "审理结案"]
    assert campaign.targets == {"closed_rate": 95.0, "resolve_rate": 90.0, "petitioning_stopped_rate": 85.0}
    assert campaign.kind_targets == [("collective", "resolve_rate", 80.0), ("individual", "resolve_rate", 90.0)]
    # The campaign process runs with that data: its first task (publish the plan) is ready.
    assert campaign_engine.instance(campaign.instance_id).data["phase_windows"][0][0] == "认定交办"
    page = client.get(f"/campaigns/{campaign.campaign_id}").text
    assert "认定交办" in page and "2026-03-02 – 2026-03-31" in page
    assert 'data-rate="resolve_rate" data-kind="collective"' in page
    # The same name again is refused; nothing new starts.
    again = client.post("/campaigns/new", data=three_phase_form())
    assert again.status_code == 409 and len(campaign_engine.campaigns.find()) == 1


def test_the_form_lists_each_problem(client: FlaskClient, auth: Any, campaign_engine: Engine) -> None:
    auth.login("coordinator")
    resp = client.post("/campaigns/new", data=three_phase_form(
        phase_3_name="", phase_3_ends="", target_resolve_rate="120", phase_2_ends="2026-02-01"))
    assert resp.status_code == 400
    assert "A campaign has three or four phases" in resp.text or "三个或四个阶段" in resp.text
    assert 'name="target_resolve_rate"' in resp.text and resp.text.count('role="alert"') >= 2
    resp = client.post("/campaigns/new", data=three_phase_form(phase_2_ends="2026-03-15"))
    assert resp.status_code == 400
    assert campaign_engine.campaigns.find() == []


def test_a_case_joins_a_running_campaign_from_the_case_page(client: FlaskClient, auth: Any,
                                                            campaign_engine: Engine) -> None:
    auth.login("coordinator")
    client.post("/campaigns/new", data=three_phase_form())
    case = start_case(campaign_engine, campaign_id=None)
    page = client.get(f"/cases/{case.id}").text
    assert 'id="join-campaign-select"' in page and f'<option value="{CAMPAIGN}"' in page
    resp = client.post("/campaigns/join", data={"instance_id": str(case.id), "campaign_id": CAMPAIGN})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/cases/{case.id}")
    assert campaign_engine.instance(case.id).data["campaign_id"] == CAMPAIGN
    assert [e for e in campaign_engine.history(case.id) if e.type == EventType.CAMPAIGN_JOINED]
    # The ledger offers the same action for the cases of its page.
    other = start_case(campaign_engine, campaign_id=None, title="另一案")
    assert 'id="ledger-join"' in client.get("/ledger/").text
    client.post("/campaigns/join", data={"instance_id": [str(other.id)], "campaign_id": CAMPAIGN, "back": "ledger"})
    assert campaign_engine.instance(other.id).data["campaign_id"] == CAMPAIGN
    # An unknown campaign changes nothing.
    third = start_case(campaign_engine, campaign_id=None)
    client.post("/campaigns/join", data={"instance_id": str(third.id), "campaign_id": "不存在"})
    assert campaign_engine.instance(third.id).data.get("campaign_id") is None


@pytest.mark.sqlite_only
def test_only_coordinators_put_cases_in_campaigns(client: FlaskClient, auth: Any, campaign_engine: Engine) -> None:
    campaign_engine.campaigns.start(_new(), actor="coordinator")
    case = start_case(campaign_engine, campaign_id=None)
    auth.login("supervisor")
    assert 'id="join-campaign-select"' not in client.get(f"/cases/{case.id}").text
    assert client.post("/campaigns/join", data={"instance_id": str(case.id),
                                                "campaign_id": CAMPAIGN}).status_code == 403
    assert campaign_engine.instance(case.id).data.get("campaign_id") is None


def _new() -> Any:
    from datetime import date

    from engine import NewCampaign

    return NewCampaign(CAMPAIGN, "恒口", ["一", "二", "三"], [date(2026, 4, 1), date(2026, 5, 1), date(2026, 6, 1)])


def test_a_campaign_field_is_a_select_of_running_campaigns(client: FlaskClient, auth: Any,
                                                           campaign_engine: Engine) -> None:
    from tests.conftest import DIAGRAMS

    campaign_engine.deploy(DIAGRAMS / "forms" / "campaign_field.bpmn", actor="designer")
    campaign_engine.campaigns.start(_new(), actor="coordinator")
    (task,) = campaign_engine.start("campaign_field", {}, actor="clerk").tasks
    auth.login("coordinator")
    client.post(f"/tasks/{task.id}/claim")
    page = client.get(f"/tasks/{task.id}").text
    assert 'class="campaign-picker"' in page and f'<option value="{CAMPAIGN}">{CAMPAIGN}</option>' in page
    refused = client.post(f"/tasks/{task.id}/complete", data={"campaign_id": "打字输入的行动"})
    assert refused.status_code == 400 and "请从进行中的专项行动中选择" in refused.text
    assert client.post(f"/tasks/{task.id}/complete", data={"campaign_id": CAMPAIGN}).status_code == 302
    assert campaign_engine.queries.ledger().rows[0].campaign_id == CAMPAIGN
