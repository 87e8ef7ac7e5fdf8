"""Every diagram under tests/ through raw SpiffWorkflow and through the Engine, side by side.

    .venv/bin/python bench/coverage.py [DIR ...]

For each file: did it parse (raw: any of SpiffWorkflow's three parsers) / deploy (Engine), and did
a run complete when every person's task is completed with no data, every service task is done by
a worker and the clock is moved a year on? Files where the Engine does worse are listed last.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import Engine, EngineError, FakeClock  # noqa: E402

ROUNDS = 50


def raw(path: Path) -> tuple[bool, bool]:
    """(parsed, completed) with SpiffWorkflow alone."""
    root = etree.parse(str(path)).getroot()
    for parser_class in (BpmnParser, CamundaParser, SpiffBpmnParser):
        parser = parser_class()
        try:
            parser.add_bpmn_xml(root, filename=path.name)
            pids = [p for p in parser.get_process_ids() if parser.get_process_parser(p).process_executable]
            specs = [(parser.get_spec(p), parser.get_subprocess_specs(p)) for p in pids]
        except Exception:  # noqa: BLE001 - any refusal counts as not parsed by this parser
            continue
        done = bool(specs)
        for spec, subs in specs:
            try:
                workflow = BpmnWorkflow(spec, subs)
                for _ in range(ROUNDS):
                    workflow.do_engine_steps()
                    ready = workflow.get_tasks(state=TaskState.READY, manual=True)
                    if not ready:
                        break
                    ready[0].run()
                done = done and workflow.is_completed()
            except Exception:  # noqa: BLE001 - a run that fails did not complete
                done = False
        return True, done
    return False, False


def engine(path: Path, db: str) -> tuple[bool, bool]:
    """(deployed, completed) through the Engine."""
    clock = FakeClock(datetime(2026, 3, 2, 1, tzinfo=UTC))
    eng = Engine.open(db, clock=clock)
    try:
        try:
            deployed = [d for d in eng.deploy(path, actor="bench") if d.kind == "bpmn"]
        except EngineError:
            return False, False
        done = bool(deployed)
        # Every name a service task's topic can be: its camunda:topic or its id.
        tree = etree.parse(str(path)).getroot()
        topics = sorted({v for el in tree.iter() if isinstance(el.tag, str)
                         for k, v in el.attrib.items() if k == "id" or k.endswith("}topic")})
        for dep in deployed:
            try:
                inst = eng.start(dep.process_key, actor="bench", version=dep.version)
                for _ in range(ROUNDS):
                    for job in eng.fetch_and_lock("bench", topics, max_tasks=100):
                        eng.complete_external(job.id, worker_id="bench")
                    tasks = eng.tasks(instance_id=inst.id)
                    if tasks:
                        eng.complete(tasks[0].id, {}, actor=tasks[0].assignee or "bench")
                        continue
                    if not eng.timers():
                        break
                    clock.advance(days=366)
                    eng.fire_due_timers()
                done = done and eng.instance(inst.id).status == "completed"
            except Exception:  # noqa: BLE001 - a crash is counted, and the bench goes on
                done = False
        return True, done
    finally:
        eng.close()


def main(dirs: list[str]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        files = sorted(p for d in dirs or [str(ROOT / "tests")] for p in Path(d).rglob("*.bpmn"))
        if not dirs:
            # The test diagrams built in code: one per element kind SpiffWorkflow parses.
            from tests.engine.element_catalogue import catalogue

            for name, doc in catalogue().items():
                (Path(tmp) / f"catalogue_{name}.bpmn").write_text(doc, encoding="utf-8")
                files.append(Path(tmp) / f"catalogue_{name}.bpmn")
        return _compare(files, tmp)


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name


def _compare(files: list[Path], tmp: str) -> int:
    worse = []
    totals = [0, 0, 0, 0]
    print(f"{'file':60} raw:parsed completed | engine:deployed completed")
    if True:
        for i, path in enumerate(files):
            r = raw(path)
            e = engine(path, f"sqlite:///{tmp}/bench{i}.db")
            for n, flag in enumerate((*r, *e)):
                totals[n] += flag
            mark = "  WORSE" if (r[0] and not e[0]) or (r[1] and not e[1]) else ""
            if mark:
                worse.append(path)
            print(f"{_name(path):60} {r[0]!s:>6} {r[1]!s:>9} | {e[0]!s:>15} {e[1]!s:>9}{mark}")
    print(f"{len(files)} files: raw parsed {totals[0]}, completed {totals[1]}; "
          f"engine deployed {totals[2]}, completed {totals[3]}")
    print("engine worse on:", ", ".join(_name(p) for p in worse) or "none")
    return 1 if worse else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
