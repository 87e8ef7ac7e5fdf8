"""Login, logout, throttling, revocable sessions, CSRF, cookie flags and the language switch."""

from __future__ import annotations

import re

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


def test_failed_logins_slow_down_that_client_for_that_name_only(app: Flask, client: FlaskClient,
                                                                auth: Auth, clock: FakeClock) -> None:
    """Anyone could lock any account (5 wrong passwords, the right one refused for 15 minutes);
    now the wait falls on the failing client alone, doubling with each failure past the limit."""
    resp = auth.login("handler", "wrong password")
    assert resp.status_code == 200 and "用户名或密码错误" in resp.text
    for _ in range(4):
        resp = auth.login("handler", "wrong password")
    assert "失败次数过多" in resp.text
    assert "失败次数过多" in auth.login("handler").text  # this client waits, right password or not
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "10.0.0.2"
    assert Auth(elsewhere).login("handler").status_code == 302  # the user is not locked out
    clock.advance(seconds=1)
    assert "失败次数过多" in auth.login("handler", "wrong again").text  # next wait: 2 s
    clock.advance(seconds=1)
    assert "失败次数过多" in auth.login("handler").text
    clock.advance(seconds=1)
    assert auth.login("handler").status_code == 302


def test_unknown_names_get_the_same_answers(client: FlaskClient, auth: Auth) -> None:
    known = [auth.login("handler", "wrong password").text for _ in range(6)]
    unknown = [auth.login("nobody", "wrong password").text for _ in range(6)]
    strip = lambda page: re.sub(r'value="[^"]*"', "", page)  # noqa: E731 - the typed name and token
    assert [strip(p) for p in known] == [strip(p) for p in unknown]


def test_logout_ends_every_session_of_the_user(app: Flask, client: FlaskClient, auth: Auth) -> None:
    auth.login("handler")
    cookie = client.get_cookie("anjie_session")
    assert cookie is not None
    phone = app.test_client()
    Auth(phone).login("handler")
    auth.logout()
    assert phone.get("/").status_code == 302  # the other device is signed out too
    client.set_cookie("anjie_session", cookie.value)  # a copy of the old cookie is worthless
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("change", ["password", "disable"])
def test_password_change_or_disabling_ends_sessions(client: FlaskClient, auth: Auth,
                                                    web_engine: Engine, change: str) -> None:
    auth.login("handler")
    assert client.get("/").status_code == 200
    if change == "password":
        web_engine.accounts.set_password("handler", "a new password 2")
    else:
        web_engine.accounts.set_active("handler", False)
        web_engine.accounts.set_active("handler", True)  # re-enabling does not revive it
    assert client.get("/").status_code == 302


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


def test_csrf_is_required(app: Flask, client: FlaskClient, auth: Auth) -> None:
    resp = client.post("/login", data={"username": "handler", "password": PASSWORD}, csrf=False)
    assert resp.status_code == 400 and "表单已失效" in resp.text
    auth.login("coordinator")
    resp = client.post("/cases/new", data={"process_key": "web_petition", "title": "伪造"},
                       csrf=False)
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
