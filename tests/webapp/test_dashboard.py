"""webapp/dashboard.py and the figures API: who sees them, and that page, tables and JSON say what
the cases say."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from engine import Engine
from tests.webapp.conftest import start_case
from tests.webapp.test_api import bearer
from tests.webapp.test_campaigns import CAMPAIGN, _new, campaign_engine

__all__ = ["campaign_engine"]  # the fixture the figures build on


@pytest.fixture
def figures_engine(campaign_engine: Engine) -> Engine:
    """A running campaign with two red cases and one green one, and a case outside it."""
    campaign_engine.campaigns.start(_new(), actor="coordinator")
    start_case(campaign_engine, campaign_id=CAMPAIGN, subject="land")
    start_case(campaign_engine, campaign_id=CAMPAIGN, subject="land")
    start_case(campaign_engine, campaign_id=CAMPAIGN, risk_colour="green")
    start_case(campaign_engine, campaign_id="其他")
    return campaign_engine


@pytest.mark.sqlite_only
def test_dashboards_need_a_reading_role(client: FlaskClient, auth: Any, figures_engine: Engine) -> None:
    assert client.get("/dashboard/").status_code == 302
    auth.login("handler")
    assert client.get("/dashboard/").status_code == 403
    assert client.get(f"/dashboard/{CAMPAIGN}").status_code == 403
    auth.logout()
    auth.login("leader")
    assert client.get("/dashboard/").status_code == 200
    assert client.get("/dashboard/没有这个行动").status_code == 404


def test_campaign_dashboard_tables(client: FlaskClient, auth: Any, figures_engine: Engine) -> None:
    auth.login("supervisor")
    page = client.get(f"/dashboard/{CAMPAIGN}").text
    assert 'id="chart-colour"' in page and 'id="table-colour"' in page and "echarts.min.js" in page
    colour_table = page.split('id="table-colour"')[1].split("</table>")[0]
    assert '<th scope="row">红</th><td>2</td>' in colour_table
    assert '<th scope="row">绿</th><td>1</td>' in colour_table
    office = client.get("/dashboard/").text
    assert '<th scope="row">红</th><td>3</td>' in office.split('id="table-colour"')[1].split("</table>")[0]
    rates = office.split('id="table-rates"')[1].split("</table>")[0]
    assert "<th scope=\"row\">办结率</th>" in rates and "<td>0 / 4</td>" in rates


def test_figures_api(client: FlaskClient, figures_engine: Engine) -> None:
    tokens = {n: figures_engine.accounts.create_token(n) for n in ("supervisor", "handler")}
    assert client.get("/api/v1/figures", headers=bearer(tokens["handler"])).status_code == 403
    office = client.get("/api/v1/figures", headers=bearer(tokens["supervisor"])).json
    assert office["total"] == 4 and office["campaign_id"] is None
    assert {r["key"]: r["count"] for r in office["by_colour"]} == {"red": 3, "green": 1}
    one = client.get(f"/api/v1/campaigns/{CAMPAIGN}/figures", headers=bearer(tokens["supervisor"])).json
    assert one["total"] == 3 and one["rates"]["resolve_rate"] == {
        "numerator": 0, "denominator": 3, "value": 0.0, "percent": 0.0}
    assert one["current_phase"] == "一" and one["targets"] == []
    assert client.get("/api/v1/campaigns/nope/figures", headers=bearer(tokens["supervisor"])).status_code == 404
