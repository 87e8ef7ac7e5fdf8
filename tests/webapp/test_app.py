"""webapp/__init__.py: the settings given to `create_app` reach the engine it opens."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from engine import Settings
from webapp import create_app
from webapp.services import engine


@pytest.mark.sqlite_only
def test_create_app_opens_the_engine_on_its_own_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANJIE_DATABASE_URL", f"sqlite:///{tmp_path / 'from_env.db'}")
    monkeypatch.setenv("ANJIE_LOGIN_MAX_FAILURES", "99")
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'given.db'}", secret_key="s",
                        upload_dir=str(tmp_path / "up"), login_max_failures=3, session_lifetime_hours=2)
    app = create_app(settings)
    with app.app_context():
        eng = engine()
        try:
            assert eng.settings is settings
            assert eng.accounts.max_failures == 3
            with eng.read_sessionmaker() as s:
                s.execute(text("SELECT 1"))
        finally:
            eng.close()
    assert (tmp_path / "given.db").exists() and not (tmp_path / "from_env.db").exists()
    assert app.permanent_session_lifetime.total_seconds() == 2 * 3600
