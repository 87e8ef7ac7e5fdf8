"""bench/coverage.py's comparison on the third-party-style diagrams: the Engine never does worse
than raw SpiffWorkflow on a file, and better where the product's Camunda dialect allows."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tests.conftest import DIAGRAMS, ROOT

_spec = importlib.util.spec_from_file_location("coverage_bench", ROOT / "bench" / "coverage.py")
assert _spec is not None and _spec.loader is not None
coverage = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(coverage)

THIRD_PARTY = sorted(DIAGRAMS.glob("*.bpmn"))


@pytest.mark.parametrize("path", THIRD_PARTY, ids=[p.name for p in THIRD_PARTY])
def test_the_engine_never_does_worse_than_raw_spiffworkflow(path: Path, tmp_path: Path) -> None:
    raw_parsed, raw_completed = coverage.raw(path)
    deployed, completed = coverage.engine(path, f"sqlite:///{tmp_path / 'coverage.db'}")
    assert deployed >= raw_parsed and completed >= raw_completed, (raw_parsed, raw_completed, deployed, completed)


def test_a_camunda_modeler_file_runs_where_raw_spiffworkflow_does_not(tmp_path: Path) -> None:
    """JUEL conditions and a fixed assignee: raw SpiffWorkflow cannot evaluate `${…}`."""
    path = DIAGRAMS / "camunda_modeler_leave.bpmn"
    assert coverage.raw(path) == (True, False)
    assert coverage.engine(path, f"sqlite:///{tmp_path / 'coverage.db'}") == (True, True)
