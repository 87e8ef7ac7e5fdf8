"""`anjie user add|passwd` and `anjie token create` (webcli), and the demo seeding."""

from __future__ import annotations

import argparse
import io

import pytest

from anjie import webcli
from engine import Engine
from webapp.demo import ensure_users


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    webcli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_user_and_token_commands(engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("first password 1\n"))
    assert run(["user", "add", "wang", "--group", "case_handler", "-g", "case_leader",
                "--database-url", database_url]) == 0
    assert engine.accounts.user("wang").groups == ("case_handler", "case_leader")
    monkeypatch.setattr("sys.stdin", io.StringIO("second password 2\n"))
    assert run(["user", "passwd", "wang", "--database-url", database_url]) == 0
    engine.accounts.verify("wang", "second password 2")
    capsys.readouterr()
    assert run(["token", "create", "wang", "--database-url", database_url]) == 0
    token = capsys.readouterr().out.strip()
    assert engine.accounts.verify_token(token).username == "wang"
    assert run(["token", "create", "nobody", "--database-url", database_url]) == 1


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_demo_users_get_fresh_passwords(engine: Engine) -> None:
    first = ensure_users(engine)
    second = ensure_users(engine)
    assert set(first) == {"clerk", "coordinator", "leader", "handler", "supervisor", "designer",
                          "auditor", "admin"}
    assert first["handler"] != second["handler"]
    engine.accounts.verify("handler", second["handler"])
