"""The ledger page counts and filters petitions refused as final (不登记、不受理、不交办)."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from tests.processes.conftest import Driver
from tests.processes.test_petition_finality import refused_as_final_at_registration
from tests.webapp.conftest import Auth
from tests.webapp.test_repeat_petitions import driver, web_engine

__all__ = ["driver", "web_engine"]  # the shipped diagrams behind the app


def _case_links(html: str) -> set[int]:
    return {int(n) for n in re.findall(r'href="/cases/(\d+)"', html)}


def test_the_ledger_page_counts_and_filters_petitions_refused_as_final(
        client: FlaskClient, auth: Auth, driver: Driver) -> None:
    refused = refused_as_final_at_registration(driver)
    running = driver.engine.start("petition_case", {}, actor="clerk").id
    auth.login("coordinator")
    page = client.get("/ledger/")
    assert page.status_code == 200
    assert _case_links(page.text) == {refused, running}
    assert re.search(r'id="final-petitions">[^<]*\b1\b', page.text), "the count of finality records"
    assert re.findall(r'<td class="final-petitions">([^<]*)</td>', page.text).count("1") == 1
    only = client.get("/ledger/?final=1")
    assert _case_links(only.text) == {refused}
    assert 'name="final" value="1" checked' in only.text
