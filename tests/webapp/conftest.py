"""Fixtures for the web app tests: settings on the test's database, the engine behind the app
(test diagram and one user per role), the app, a test client and a way to log in as any role.

The app checks CSRF tokens as in production; the test client sends the token of the page's
forms with every form POST, as a browser does (`csrf=False` on one post sends none). A test
that needs the checks off says so with `@pytest.mark.csrf_off`.

Tests that check nothing the database decides are marked `sqlite_only` (see tests/conftest.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine import Engine, Settings
from tests.conftest import EngineWith
from webapp import create_app

DIAGRAMS = Path(__file__).parent / "diagrams"
PROCESS = DIAGRAMS / "web_petition.bpmn"
PASSWORD = "correct horse 1"
ROLE_USERS = {
    "clerk": ["intake_clerk"],
    "coordinator": ["coordinator"],
    "leader": ["case_leader"],
    "handler": ["case_handler"],
    "handler2": ["case_handler"],
    "supervisor": ["supervisor"],
    "designer": ["designer"],
    "auditor": ["auditor"],
    "admin": ["admin", "leading_group"],
}


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """Settings for one test: its own database, upload folder and secret key."""
    return Settings(database_url=db_url, secret_key="test-secret",
                    upload_dir=str(tmp_path / "uploads"), max_upload_bytes=200_000)


@pytest.fixture
def web_engine(engine_with: EngineWith, settings: Settings) -> Engine:
    """The engine behind `app`, on the test clock: the test diagram deployed and one user per
    role (cheap password hashes)."""
    engine = engine_with(PROCESS, settings=settings)
    engine.accounts.scrypt_n = 2**4
    for name, groups in ROLE_USERS.items():
        engine.accounts.add_user(name, PASSWORD, groups)
    return engine


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "csrf_off: the app under test does not check CSRF tokens")


_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class BrowserLikeClient(FlaskClient):
    """A test client that sends a form's CSRF token with each form POST, as a browser does:
    the token of the session's pages (read from the login page, which every visitor may see)."""

    def open(self, *args: Any, csrf: bool = True, **kwargs: Any) -> Any:
        path = args[0] if args else kwargs.get("path", "/")
        data = kwargs.get("data")
        posting = csrf and str(kwargs.get("method", "GET")).upper() == "POST" and isinstance(path, str) \
            and not path.startswith("/api/")
        if posting and "json" in kwargs:
            # The designer's script sends the page's token in a header with its JSON posts.
            found = _TOKEN.search(self.get("/login").text)
            if found:
                kwargs["headers"] = {**dict(kwargs.get("headers") or {}), "X-CSRFToken": found.group(1)}
        elif posting and (data is None or isinstance(data, dict)):
            found = _TOKEN.search(self.get("/login").text)
            if found:
                kwargs["data"] = {**(data or {}), "csrf_token": found.group(1)}
        return super().open(*args, **kwargs)


@pytest.fixture
def app(request: pytest.FixtureRequest, settings: Settings, web_engine: Engine) -> Flask:
    """The app under test, checking CSRF tokens unless the test is marked `csrf_off`."""
    application = create_app(settings, engine=web_engine)
    application.config.update(TESTING=True,
                              WTF_CSRF_ENABLED=request.node.get_closest_marker("csrf_off") is None)
    application.test_client_class = BrowserLikeClient
    return application


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client with no one logged in."""
    return app.test_client()


class Auth:
    """Logs the test client in and out."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, username: str, password: str = PASSWORD) -> Any:
        """Sign in through the login form (with its CSRF token)."""
        return self.client.post("/login", data={"username": username, "password": password})

    def logout(self) -> Any:
        return self.client.post("/logout")


@pytest.fixture
def auth(client: FlaskClient) -> Auth:
    """Log in as any of ROLE_USERS."""
    return Auth(client)


def start_case(engine: Engine, **data: Any) -> Any:
    """Start one test case (red, class A, campaign 2025 unless told otherwise)."""
    payload = {"title": "张某土地征收补偿", "risk_colour": "red", "case_class": "A",
               "campaign_id": "2025年积案化解", "case_leader": "leader", **data}
    return engine.start("web_petition", payload, actor="clerk", business_key=data.get("bk"))


@pytest.fixture
def case(web_engine: Engine) -> Any:
    """One running case waiting at its first handler task."""
    return start_case(web_engine)
