"""webapp/demo.py: the demo users get new passwords at every start."""

from __future__ import annotations

import pytest

from engine import Engine
from webapp.demo import ensure_users


@pytest.mark.sqlite_only
def test_demo_users_get_fresh_passwords(web_engine: Engine) -> None:
    first = ensure_users(web_engine)
    second = ensure_users(web_engine)
    assert set(first) == {"clerk", "coordinator", "leader", "handler", "supervisor", "designer",
                          "auditor", "admin"}
    assert first["handler"] != second["handler"]
    web_engine.accounts.verify("handler", second["handler"])
