"""Login, logout, lockout, CSRF, cookie flags and the language switch."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine import Engine, FakeClock
from tests.webapp.conftest import PASSWORD, Auth

pytestmark = pytest.mark.sqlite_only  # sign-in flows: nothing the database decides


def test_login_logout(client: FlaskClient, auth: Auth) -> None:
    assert client.get("/").status_code == 302
    resp = auth.login("handler")
    assert resp.status_code == 302 and resp.location == "/"
    assert client.get("/").status_code == 200
    auth.logout()
    assert client.get("/").status_code == 302


def test_wrong_password_then_lockout(client: FlaskClient, auth: Auth, web_engine: Engine,
                                     clock: FakeClock) -> None:
    resp = auth.login("handler", "wrong password")
    assert resp.status_code == 200 and "用户名或密码错误" in resp.text
    for _ in range(4):
        resp = auth.login("handler", "wrong password")
    assert "已锁定" in resp.text
    assert "已锁定" in auth.login("handler").text  # even the right password is refused now
    clock.advance(minutes=16)
    assert auth.login("handler").status_code == 302


def test_login_redirects_back_but_never_offsite(client: FlaskClient) -> None:
    resp = client.post("/login?next=/ledger/", data={"username": "auditor",
                                                     "password": PASSWORD})
    assert resp.location == "/ledger/"
    client.post("/logout")
    resp = client.post("/login?next=//evil.example/", data={"username": "auditor",
                                                            "password": PASSWORD})
    assert resp.location == "/"


def test_session_cookie_flags(client: FlaskClient, auth: Auth) -> None:
    resp = auth.login("handler")
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_csrf_is_required(app: Flask, client: FlaskClient) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    resp = client.post("/login", data={"username": "handler", "password": PASSWORD})
    assert resp.status_code == 400 and "表单已失效" in resp.text
    page = client.get("/login").text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    resp = client.post("/login", data={"username": "handler", "password": PASSWORD,
                                       "csrf_token": token})
    assert resp.status_code == 302


def test_disabled_user_is_logged_out(client: FlaskClient, auth: Auth, web_engine: Engine) -> None:
    auth.login("handler")
    web_engine.accounts.set_active("handler", False)
    assert client.get("/").status_code == 302


def test_language_switch(client: FlaskClient, auth: Auth) -> None:
    assert "登录" in client.get("/login").text
    client.post("/lang/en", data={"next": "/login"})
    assert "Log in" in client.get("/login").text
    auth.login("handler")
    assert "Inbox" in client.get("/").text  # kept across login
    client.post("/lang/zh_CN", data={"next": "/"})
    assert "待办" in client.get("/").text
    assert client.post("/lang/fr").status_code == 404
