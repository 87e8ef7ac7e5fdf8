"""anjie/auditcli.py: keygen, checkpoint, verify-history against checkpoints, export history."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from anjie.cli import main
from tests.conftest import DIAGRAMS, ROOT

SIMPLE = DIAGRAMS / "simple_review.bpmn"


def test_keygen_checkpoint_verify_export(db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--database-url", db_url]
    key = tmp_path / "keys" / "signer.pem"
    assert main(["keygen", "--key", str(key)]) == 0
    assert "public key" in capsys.readouterr().out and key.exists()
    assert main(["checkpoint", "keygen", "--key", str(key)]) == 2
    assert "exists already" in capsys.readouterr().err
    assert main(["deploy", str(SIMPLE), *args]) == 0
    assert main(["start", "simple_review", "--data", '{"handler": "zhang", "campaign_id": "2025专项"}', *args]) == 0
    worm = tmp_path / "worm"
    assert main(["checkpoint", "--key", str(key), "--directory", str(worm), *args]) == 0
    assert "checkpoint 1" in capsys.readouterr().out
    public = str(key) + ".pub"
    assert main(["verify-history", "--checkpoints", str(worm), "--public-key", public, *args]) == 0
    assert "1 signed checkpoints match" in capsys.readouterr().out
    out = tmp_path / "campaign.csv"
    assert main(["export", "history", "--campaign", "2025专项", "--format", "csv", "--output", str(out), *args]) == 0
    captured = capsys.readouterr()
    assert "1/1 cases" in captured.err and "campaign.csv" in captured.out
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "verify_export.py"), str(out), "--public-key", public],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "1 checkpoint proofs (signatures checked)" in done.stdout, done.stdout
    assert main(["export", "history", "99", "--output", str(tmp_path / "none.jsonl"), *args]) == 2
    assert "no such case" in capsys.readouterr().err


def test_verify_with_checkpoints_needs_the_public_key(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="--public-key"):
        main(["verify-history", "--checkpoints", str(tmp_path), "--database-url", f"sqlite:///{tmp_path / 'c.db'}"])


def test_a_command_line_account_change_names_the_system_user(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import getpass

    from engine import Engine, OperationFilter

    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse 9\n"))  # the password, piped
    url = f"sqlite:///{tmp_path / 'c.db'}"
    assert main(["user", "add", "wang", "--group", "case_handler", "--database-url", url]) == 0
    engine = Engine.open(url)
    try:
        [added] = engine.audit.operations(OperationFilter(action="user_added"))
    finally:
        engine.close()
    assert (added.actor, added.target) == (f"{getpass.getuser()}@cli", "user wang")
