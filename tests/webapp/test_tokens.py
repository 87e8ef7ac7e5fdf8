"""webapp/tokens.py: people see their API tokens (never the secret), make one, revoke one."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from engine import Engine
from tests.webapp.conftest import Auth

pytestmark = pytest.mark.sqlite_only  # a page over Accounts: nothing the database decides


def test_a_user_makes_sees_and_revokes_their_own_tokens(client: FlaskClient, auth: Auth,
                                                        web_engine: Engine) -> None:
    theirs = web_engine.accounts.create_token("handler2")
    auth.login("handler")
    assert "您还没有令牌" in client.get("/tokens/").text
    page = client.post("/tokens/").text
    token = re.search(r'<code id="new-token">([^<]+)</code>', page)
    assert token and web_engine.accounts.verify_token(token.group(1)).username == "handler"
    listing = client.get("/tokens/").text
    assert token.group(1) not in listing and "有效" in listing and "2026-05-31" in listing  # 90 days
    mine = web_engine.accounts.tokens("handler")[0].id
    other = web_engine.accounts.tokens("handler2")[0].id
    assert client.post(f"/tokens/{other}/revoke").status_code == 404
    assert web_engine.accounts.verify_token(theirs) is not None
    assert client.post(f"/tokens/{mine}/revoke").status_code == 302
    assert web_engine.accounts.verify_token(token.group(1)) is None
    assert "已吊销" in client.get("/tokens/").text
