"""The layering of the three packages: engine/ is plain Python, webapp/ and anjie/ use only `engine`.

- engine/ never imports Flask or the web app;
- webapp/ and anjie/ import the engine only through its public surface (`engine`), never
  `engine.<module>`; webapp/ never imports anjie/;
- no module imports another module's private (`_name`) names.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("engine", "webapp", "anjie")


def _imports(package: str) -> Iterator[tuple[str, str, list[str]]]:
    """(file, imported module, imported names) for every import in a package."""
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        rel = str(path.relative_to(ROOT))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield rel, alias.name, []
            elif isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level:
                    module = package + ("." + module if module else "")
                yield rel, module, [a.name for a in node.names]


@pytest.mark.parametrize("package", PACKAGES)
def test_the_walk_sees_the_package(package: str) -> None:
    assert sum(1 for _ in _imports(package)) > 20, f"the walk must actually see {package}/"


def test_engine_never_imports_flask_or_webapp() -> None:
    offenders = [f"{path}: {module}" for path, module, _ in _imports("engine")
                 if module.split(".")[0] in {"flask", "webapp", "anjie", "werkzeug", "jinja2"}]
    assert offenders == []


@pytest.mark.parametrize("package", ["webapp", "anjie"])
def test_outside_packages_use_only_the_public_engine(package: str) -> None:
    offenders = [f"{path}: {module}" for path, module, _ in _imports(package)
                 if module.startswith("engine.")]
    assert offenders == []


def test_webapp_never_imports_the_command_line() -> None:
    offenders = [f"{path}: {module}" for path, module, _ in _imports("webapp")
                 if module.split(".")[0] == "anjie"]
    assert offenders == []


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_imports_a_private_name(package: str) -> None:
    offenders = [f"{path}: {module}.{name}" for path, module, names in _imports(package)
                 for name in names if name.startswith("_") and not name.startswith("__")]
    offenders += [f"{path}: {module}" for path, module, _ in _imports(package)
                  if any(part.startswith("_") and not part.startswith("__") for part in module.split("."))]
    assert offenders == []
