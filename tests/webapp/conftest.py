"""Fixtures for the web app tests: a database (SQLite and PostgreSQL), an engine on a fake clock,
the demo users, the app, a test client and a way to log in as any role."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine import Engine, FakeClock, Settings
from webapp import create_app

DIAGRAMS = Path(__file__).parent / "diagrams"
PROCESS = DIAGRAMS / "web_petition.bpmn"
POSTGRES_URL = os.environ.get("ANJIE_TEST_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")
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
def database_url(db_url: str) -> str:
    """The fresh database of tests/conftest.py: a SQLite file or a PostgreSQL schema (never skipped)."""
    return db_url


@pytest.fixture
def clock() -> FakeClock:
    """The engine's clock, set to 16 April 2025 09:00 Beijing time."""
    return FakeClock(datetime(2025, 4, 16, 1, 0, tzinfo=UTC))


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings for one test: its own database, upload folder and secret key."""
    return Settings(database_url=database_url, secret_key="test-secret",
                    upload_dir=str(tmp_path / "uploads"), max_upload_bytes=200_000)


@pytest.fixture
def engine(settings: Settings, clock: FakeClock) -> Iterator[Engine]:
    """An engine with the test diagram deployed and one user per role (cheap password hashes)."""
    eng = Engine.open(settings.database_url, clock=clock, settings=settings)
    eng.accounts.scrypt_n = 2**4
    eng.deploy(PROCESS, actor="designer")
    for name, groups in ROLE_USERS.items():
        eng.accounts.add_user(name, PASSWORD, groups)
    yield eng
    eng.close()


@pytest.fixture
def app(settings: Settings, engine: Engine) -> Flask:
    """The app under test, CSRF checks off (one test turns them back on)."""
    application = create_app(settings, engine=engine)
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
    payload = {"title": "张某土地征收补偿", "risk_colour": "red", "risk_class": "A",
               "campaign_id": "2025年积案化解", "case_leader": "leader", **data}
    return engine.start("web_petition", payload, actor="clerk", business_key=data.get("bk"))


@pytest.fixture
def case(engine: Engine) -> Any:
    """One running case waiting at its first handler task."""
    return start_case(engine)
