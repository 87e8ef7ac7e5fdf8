"""How long reading the typed defaults of every form field of petition_case takes.

Deployments read them once per version (cached), so this is paid once; prints microseconds
per read. Run: .venv/bin/python bench/form_defaults.py
"""

from __future__ import annotations

import timeit
from pathlib import Path

from engine import deploy
from engine.forms import process_defaults

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    diagram, _parser = deploy.parse_diagram(ROOT / "processes" / "petition_case.bpmn",
                                            [(p.name, p.read_bytes()) for p in (ROOT / "processes").glob("*.dmn")])
    elements = deploy.element_metadata(diagram.tree.getroot())
    fields = len(process_defaults(elements))
    runs = 200
    seconds = timeit.timeit(lambda: process_defaults(elements), number=runs)
    print(f"petition_case: {len(elements)} elements, {fields} form fields; "
          f"{seconds / runs * 1e6:.0f} µs per read of their defaults")


if __name__ == "__main__":
    main()
