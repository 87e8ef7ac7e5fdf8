"""`anjie import cases FILE.xlsx`: problems in Chinese, a progress bar, a second run imports nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from anjie.cli import main
from tests.conftest import PROCESSES
from tests.engine.test_ledger_import import good_row, workbook


def test_import_cases_checks_imports_with_a_progress_bar_and_skips_what_it_has(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    assert main(["deploy", str(PROCESSES / "risk_colour.dmn"), str(PROCESSES / "petition_case.bpmn"),
                 "--database-url", url]) == 0
    capsys.readouterr()
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook([good_row(1), good_row(2, subject="房产")]))
    assert main(["import", "cases", str(bad), "--database-url", url]) == 1
    out = capsys.readouterr().out
    assert "第 3 行，“事项类别”列：不在下拉选项中（可选：征地、拆迁" in out, out
    assert "未导入任何案件。" in out and "已导入 0 件" in out
    assert main(["import", "cases", str(bad), "--database-url", url, "--only-good-rows", "--user", "wang"]) == 0
    run = capsys.readouterr()
    assert "已导入 1 件；跳过（台账中已有）0 件。" in run.out
    assert "[" + "#" * 30 + "] 1/1 100%" in run.err  # the progress bar, complete
    good = tmp_path / "good.xlsx"
    good.write_bytes(workbook([good_row(1), good_row(3)]))
    assert main(["import", "cases", str(good), "--check", "--database-url", url, "--lang", "en"]) == 0
    assert "2 rows: 1 good, 0 with problems, 1 already in the ledger (skipped)." in capsys.readouterr().out
    assert main(["import", "cases", str(good), "--database-url", url]) == 0
    assert "已导入 1 件；跳过（台账中已有）1 件。" in capsys.readouterr().out
    assert main(["history", "2", "--database-url", url]) == 0
    assert "instance_imported" in capsys.readouterr().out
    assert main(["import", "cases", str(tmp_path / "none.xlsx"), "--database-url", url]) == 2
