"""Fixtures for the web app tests: settings on the test's database, the engine behind the app
(test diagram and one user per role), the app, a test client and a way to log in as any role.

Tests that check nothing the database decides are marked `sqlite_only` (see tests/conftest.py)."""

from __future__ import annotations

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


@pytest.fixture
def app(settings: Settings, web_engine: Engine) -> Flask:
    """The app under test, CSRF checks off (one test turns them back on)."""
    application = create_app(settings, engine=web_engine)
    application.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
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
