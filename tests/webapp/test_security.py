"""webapp/security.py and the browser-facing protections: headers on every response, no inline
script, diagram sources never rendered, control characters refused, the Secure cookie setting."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from engine import Engine, Settings
from tests.webapp.conftest import Auth
from webapp import create_app

TEMPLATES = Path(__file__).resolve().parents[2] / "webapp" / "templates"


@pytest.mark.sqlite_only
def test_every_response_carries_the_browser_headers(client: FlaskClient, auth: Auth, case: Any) -> None:
    auth.login("coordinator")
    responses = [client.get("/login"), client.get("/"), client.get(f"/cases/{case.id}"),
                 client.get("/no/such/page"), client.get("/api/v1/me"), client.get("/static/app.css")]
    for resp in responses:
        csp = resp.headers.get("Content-Security-Policy", "")
        script_src = re.search(r"script-src ([^;]*)", csp)
        assert script_src and script_src.group(1).split() == ["'self'"], (resp.request.path, csp)
        assert "frame-ancestors 'none'" in csp
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Referrer-Policy"] == "same-origin"
        resp.close()


@pytest.mark.sqlite_only
def test_no_template_has_inline_script() -> None:
    """The policy allows scripts from files only, so no template may carry one inline."""
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        inline = [tag for tag in re.findall(r"<script\b[^>]*>", text) if "src=" not in tag]
        handlers = re.findall(r"\son[a-z]+\s*=", text)
        assert not inline and not handlers and "javascript:" not in text, template.name


@pytest.mark.sqlite_only
def test_diagram_source_is_a_download_no_browser_renders(client: FlaskClient, auth: Auth,
                                                          case: Any) -> None:
    auth.login("coordinator")
    resp = client.get(f"/cases/{case.id}/diagram.xml")
    assert resp.status_code == 200 and b"BPMNDiagram" in resp.data
    assert resp.mimetype == "text/plain"
    assert resp.headers["Content-Disposition"].startswith("attachment")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.sqlite_only
def test_session_cookie_is_secure_when_the_setting_says_so(settings: Settings, web_engine: Engine) -> None:
    settings.session_cookie_secure = True
    app = create_app(settings, engine=web_engine)
    app.config.update(TESTING=True)
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    resp = client.post("/login", data={"username": "handler", "password": "correct horse 1",
                                       "csrf_token": token.group(1)})
    assert resp.status_code == 302 and "Secure" in resp.headers["Set-Cookie"]
    assert Settings.from_env({"ANJIE_SESSION_COOKIE_SECURE": "true"}).session_cookie_secure is True


def test_control_characters_are_refused_everywhere_with_a_clear_400(
        client: FlaskClient, auth: Auth, web_engine: Engine, case: Any) -> None:
    """A NUL broke every ledger and inbox on PostgreSQL; now it is refused at the door."""
    auth.login("coordinator")
    for url in ("/ledger/?q=%00", "/ledger/?campaign=a%00b", "/?campaign=%00", "/?process=%01",
                "/ledger/?leader=%1b", "/tasks/%00", f"/cases/{case.id}?x%00=1"):
        resp = client.get(url)
        assert resp.status_code == 400 and "控制字符" in resp.text, url
    resp = client.post("/cases/new", data={"process_key": "web_petition", "title": "张\x00某"})
    assert resp.status_code == 400 and "控制字符" in resp.text
    assert "共 1 件" in client.get("/ledger/").text  # nothing was registered; the ledger still works
    assert client.get("/?campaign=2025").status_code == 200
    assert client.get("/ledger/?q=" + "多行%0A文字%09").status_code == 200  # tab and newline pass


@pytest.mark.sqlite_only
def test_behind_a_proxy_throttling_goes_by_the_forwarded_client(settings: Settings,
                                                                 web_engine: Engine) -> None:
    settings.proxy_hops = 1
    app = create_app(settings, engine=web_engine)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    attacker, user = app.test_client(), app.test_client()
    for _ in range(6):
        page = attacker.post("/login", data={"username": "handler", "password": "wrong"},
                             headers={"X-Forwarded-For": "203.0.113.9"}).text
    assert "失败次数过多" in page
    resp = user.post("/login", data={"username": "handler", "password": "correct horse 1"},
                     headers={"X-Forwarded-For": "198.51.100.4"})
    assert resp.status_code == 302
