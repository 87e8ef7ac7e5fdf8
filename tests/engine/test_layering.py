"""engine/ is plain Python: it never imports Flask or the web app."""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "engine"


def test_engine_never_imports_flask_or_webapp() -> None:
    offenders = []
    for path in ENGINE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.split(".")[0] in {"flask", "webapp", "werkzeug", "jinja2"}:
                    offenders.append(f"{path.name}: {name}")
    assert offenders == []
    assert len(list(ENGINE.rglob("*.py"))) > 10, "the walk must actually see the engine"
