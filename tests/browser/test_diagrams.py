"""Every shipped diagram opens in bpmn-js as drawn: no import warnings, every stage drawn inside."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import VENDOR
from tests.processes.conftest import SHIPPED

IMPORT = """async (xml) => {
  const viewer = new BpmnJS({container: document.getElementById('canvas')});
  const result = await viewer.importXML(xml);
  const canvas = viewer.get('canvas');
  const registry = viewer.get('elementRegistry');
  const planes = canvas.getRootElements().map(root => ({
    id: root.id,
    shapes: registry.filter(e => e.parent === root && !e.waypoints && e.type !== 'label').length,
  }));
  return {warnings: result.warnings.map(w => w.message), planes};
}"""


@pytest.mark.sqlite_only
@pytest.mark.parametrize("diagram", [p for p in SHIPPED if p.suffix == ".bpmn"], ids=lambda p: p.name)
def test_diagram_imports_without_warnings(browser: Any, diagram: Path) -> None:
    page = browser.new_page()
    try:
        page.set_content('<div id="canvas" style="width:1600px;height:900px"></div>')
        page.add_script_tag(path=str(VENDOR / "bpmn-navigated-viewer.js"))
        result = page.evaluate(IMPORT, diagram.read_text(encoding="utf-8"))
    finally:
        page.close()
    assert result["warnings"] == []
    empty = [plane["id"] for plane in result["planes"] if plane["shapes"] == 0]
    assert len(result["planes"]) >= 1 and empty == []
