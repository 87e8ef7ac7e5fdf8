"""History per case: the events and bytes one petition case records on the sample main path.

    .venv/bin/python bench/case_events.py [petition_case.bpmn ...]

Each diagram given (default: the shipped one) is deployed on a fresh SQLite file and one case is
walked along MAIN_PATH; printed are the events, their stored bytes and the case state's bytes.
Compare a diagram before and after a change (e.g. `git show main:processes/petition_case.bpmn`).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from petition_walk import WALK_CLOCK, WALK_PATH, prepare, provide_documents  # noqa: E402

from engine import Engine, FakeClock  # noqa: E402

PROCESSES = Path(__file__).resolve().parents[1] / "processes"


def walk(diagram: Path) -> tuple[int, int, int]:
    """Events, event bytes and state bytes of one case walked on `diagram`."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine.open(f"sqlite:///{tmp}/walk.db", clock=FakeClock(WALK_CLOCK))
        engine.deploy(PROCESSES / "risk_colour.dmn", actor="bench")
        engine.deploy(diagram, actor="bench")
        prepare(engine)
        iid = engine.start("petition_case", {}, actor="bench").id
        for element, data in WALK_PATH:
            task = next(t for t in engine.tasks(instance_id=iid) if t.element_id == element)
            provide_documents(engine, iid, task.id, data)
            engine.complete(task.id, data, actor=task.assignee or "bench")
        events = len(engine.history(iid))
        with engine.sessionmaker() as s:
            cols = [row[1] for row in s.execute(text("PRAGMA table_info(event)"))]
            total = " + ".join(f"coalesce(length({c}), 0)" for c in cols)
            size = s.execute(text(f"SELECT sum({total}) FROM event WHERE instance_id = :i"), {"i": iid}).scalar()
            state = s.execute(text("SELECT length(state) FROM instance WHERE id = :i"), {"i": iid}).scalar()
        engine.close()
        return events, int(size or 0), int(state or 0)


def main() -> None:
    diagrams = [Path(a) for a in sys.argv[1:]] or [PROCESSES / "petition_case.bpmn"]
    print(f"{'diagram':<40}{'events':>8}{'event bytes':>13}{'state bytes':>13}")
    for diagram in diagrams:
        events, size, state = walk(diagram)
        print(f"{str(diagram):<40}{events:>8}{size:>13}{state:>13}")


if __name__ == "__main__":
    main()
