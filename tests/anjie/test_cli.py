"""anjie/cli.py: the engine commands, end to end on a database file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from anjie.cli import main
from tests.conftest import DIAGRAMS, PROCESSES

SIMPLE = DIAGRAMS / "simple_review.bpmn"


def test_validate_lists_every_problem_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.bpmn"
    bad.write_text(SIMPLE.read_text(encoding="utf-8").replace('id="registered"', 'id="Start"'), encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'c.db'}"
    assert main(["validate", str(SIMPLE), "--database-url", url]) == 0
    assert main(["validate", str(bad), str(SIMPLE), "--database-url", url]) == 1
    out = capsys.readouterr().out
    assert "bad.bpmn：有问题" in out and "simple_review.bpmn：通过（bpmn：simple_review）" in out, out
    # Chinese first: the reserved id, where it is, and what to do, in the office's language.
    assert "元素 Start：ID“Start”为流程引擎保留，请为该元素改名" in out, out
    assert main(["validate", str(bad), "--lang", "en", "--database-url", url]) == 1
    english = capsys.readouterr().out
    assert "bad.bpmn: INVALID" in english
    assert "element 'Start': id 'Start' is reserved by the workflow engine; rename the element" in english


def test_deploy_refusal_is_listed_in_chinese(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.bpmn"
    bad.write_text(SIMPLE.read_text(encoding="utf-8").replace("<bpmn:process ", "<!DOCTYPE x><bpmn:process ", 1),
                   encoding="utf-8")
    assert main(["deploy", str(bad), "--database-url", f"sqlite:///{tmp_path / 'c.db'}"]) == 1
    out = capsys.readouterr().out
    assert "bad.bpmn：已拒绝，未部署任何内容" in out and "bad.bpmn：不允许 DOCTYPE 或 ENTITY 声明" in out, out


def test_deploy_start_tasks_complete_history_verify(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--database-url", db_url]
    assert main(["deploy", str(SIMPLE), *args]) == 0
    assert "simple_review version 1" in capsys.readouterr().out
    assert main(["start", "simple_review", "--data", '{"handler": "zhang"}', *args]) == 0
    assert "accept_case" in capsys.readouterr().out
    assert main(["tasks", "--group", "coordinator", *args]) == 0
    out = capsys.readouterr().out
    task_id = out.split()[0]
    assert "1 tasks" in out
    assert main(["complete", task_id, "--user", "coord", "--data", '{"accepted": true}', *args]) == 0
    assert "handle" in capsys.readouterr().out
    assert main(["complete", task_id, "--user", "coord", *args]) == 2
    assert "already completed by coord" in capsys.readouterr().err
    assert main(["history", "1", *args]) == 0
    assert "task_completed" in capsys.readouterr().out
    assert main(["verify-history", *args]) == 0
    assert "intact" in capsys.readouterr().out


def test_bad_json_data_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="not valid JSON"):
        main(["start", "x", "--data", "{oops", "--database-url", f"sqlite:///{tmp_path / 'c.db'}"])


def test_validate_the_shipped_processes_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    processes = sorted(str(p) for p in PROCESSES.iterdir())
    assert main(["validate", *processes, "--database-url", f"sqlite:///{tmp_path / 'v.db'}"]) == 0
    out = capsys.readouterr().out
    assert "GLOSSARY.md：已跳过" in out
    assert "petition_case.bpmn：通过" in out and "backlog_campaign.bpmn：通过" in out and "risk_colour.dmn：通过" in out


def test_format_rewrites_a_diagram_and_check_reports_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shipped = (DIAGRAMS / "simple_review.bpmn").read_bytes()
    squashed = tmp_path / "squashed.bpmn"
    squashed.write_bytes(re.sub(rb">\s+<", b"><", shipped))
    assert main(["format", "--check", str(squashed)]) == 1
    assert "squashed.bpmn: not formatted" in capsys.readouterr().out
    assert main(["format", str(squashed)]) == 0
    assert main(["format", "--check", str(squashed)]) == 0
    assert b"\n    <bpmn:startEvent" in squashed.read_bytes()


def test_the_shipped_diagrams_are_formatted(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["format", "--check", *sorted(str(p) for p in PROCESSES.iterdir())]) == 0
    assert "not formatted" not in capsys.readouterr().out


def test_migrate_checks_and_moves_running_instances(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--database-url", f"sqlite:///{tmp_path / 'm.db'}"]
    renamed = tmp_path / "renamed.bpmn"
    renamed.write_bytes(SIMPLE.read_bytes().replace('name="办理"'.encode(), 'name="办理答复"'.encode()))
    assert main(["deploy", str(SIMPLE), *args]) == 0
    assert main(["start", "simple_review", "--data", '{"handler": "zhang"}', *args]) == 0
    assert main(["start", "simple_review", "--data", '{"handler": "zhang"}', *args]) == 0
    task_id = re.search(r"task (\S+)", capsys.readouterr().out.splitlines()[-1]).group(1)  # type: ignore[union-attr]
    assert main(["complete", task_id, "--user", "coord", "--data", '{"accepted": true}', *args]) == 0
    assert main(["deploy", str(renamed), *args]) == 0
    capsys.readouterr()
    assert main(["migrate", "2", "--all-of", "simple_review:1", "--check", *args]) == 1
    out = capsys.readouterr().out
    assert "instance 1: can move from version 1 to 2" in out
    assert "instance 2: cannot move: element 'handle', where the instance is, was changed" in out
    assert main(["migrate", "2", "1", *args]) == 0
    assert "instance 1: moved from version 1 to 2" in capsys.readouterr().out
    assert main(["history", "1", *args]) == 0
    assert "instance_migrated" in capsys.readouterr().out
