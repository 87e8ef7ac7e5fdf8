"""anjie/webcli.py: `anjie user add|passwd` and `anjie token create|list|revoke`."""

from __future__ import annotations

import argparse
import io

import pytest

from anjie import webcli
from tests.conftest import EngineWith


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    webcli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


@pytest.mark.sqlite_only
def test_user_and_token_commands(engine_with: EngineWith, db_url: str, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    engine = engine_with()
    monkeypatch.setattr("sys.stdin", io.StringIO("first password 1\n"))
    assert run(["user", "add", "wang", "--group", "case_handler", "-g", "case_leader",
                "--display-name", "王芳", "--unit", "乡镇信访办", "--email", "wang@example.org",
                "--database-url", db_url]) == 0
    added = engine.accounts.user("wang")
    assert (added.groups, added.label, added.unit) == (("case_handler", "case_leader"), "王芳", "乡镇信访办")
    assert added.email == "wang@example.org"
    monkeypatch.setattr("sys.stdin", io.StringIO("second password 2\n"))
    assert run(["user", "passwd", "wang", "--database-url", db_url]) == 0
    engine.accounts.verify("wang", "second password 2")
    capsys.readouterr()
    assert run(["token", "create", "wang", "--database-url", db_url]) == 0
    token = capsys.readouterr().out.strip()
    assert engine.accounts.verify_token(token).username == "wang"
    assert run(["token", "create", "nobody", "--database-url", db_url]) == 1


@pytest.mark.sqlite_only
def test_token_list_and_revoke(engine_with: EngineWith, db_url: str,
                               capsys: pytest.CaptureFixture[str]) -> None:
    engine = engine_with()
    engine.accounts.scrypt_n = 2**4
    engine.accounts.add_user("wang", "first password 1", ["case_handler"])
    capsys.readouterr()
    assert run(["token", "create", "wang", "--database-url", db_url]) == 0  # on the system clock
    token = capsys.readouterr().out.strip()
    assert run(["token", "list", "--database-url", db_url]) == 0
    listing = capsys.readouterr().out
    token_id = engine.accounts.tokens("wang")[0].id
    assert "wang" in listing and "live" in listing and token not in listing
    assert run(["token", "revoke", str(token_id), "--database-url", db_url]) == 0
    assert engine.accounts.verify_token(token) is None
    assert run(["token", "list", "wang", "--database-url", db_url]) == 0
    assert "revoked" in capsys.readouterr().out
    assert run(["token", "revoke", "999", "--database-url", db_url]) == 1
