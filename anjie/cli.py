"""The `anjie` command line: deploy, validate, start, tasks, complete, history, migrate (verify-history,
checkpoints and export: anjie/auditcli.py)."""

from __future__ import annotations

import argparse
import getpass
import importlib
import importlib.util
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from anjie.language import LANGUAGES, problem_lines, translator
from engine import DiagramInvalid, Engine, EngineError, InstanceView, MigrationRefused, acting_as, format_diagram

_opened: list[Engine] = []


def _engine(args: argparse.Namespace) -> Engine:
    engine = Engine.open(args.database_url)
    _opened.append(engine)
    return engine


def _json_arg(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SystemExit(f"--data is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise SystemExit("--data must be a JSON object")
    return value


DIAGRAM_SUFFIXES = {".bpmn", ".dmn", ".xml"}


def _ordered(files: list[str], lang: str = "zh") -> list[Path]:
    """The diagrams among `files`, decisions first so processes that use them find them.

    Other files (a glossary beside the diagrams, say) are named and skipped, so
    `anjie validate processes/*` checks exactly the diagrams."""
    paths = []
    for name in files:
        path = Path(name)
        if path.suffix.lower() in DIAGRAM_SUFFIXES or not path.exists():
            paths.append(path)
        else:
            print(translator(lang)("%(path)s: skipped (not a .bpmn or .dmn file)") % {"path": path})
    return sorted(paths, key=lambda p: 0 if p.suffix.lower() == ".dmn" else 1)


def cmd_validate(args: argparse.Namespace) -> int:
    engine = _engine(args)
    bad = 0
    paths = []
    for path in _ordered(args.files, args.lang):
        if path.exists():
            paths.append(path)
        else:
            print(translator(args.lang)("%(path)s: no such file") % {"path": path}, file=sys.stderr)
            bad += 1
    for path, check in zip(paths, engine.check(list(paths)), strict=True):
        say = translator(args.lang)
        if check.ok:
            ids = ", ".join(check.ids)
            print(say("%(path)s: ok (%(kind)s: %(ids)s)") % {"path": path, "kind": check.kind, "ids": ids})
            continue
        bad += 1
        print(say("%(path)s: INVALID") % {"path": path})
        for line in problem_lines(check.problems, args.lang):
            print(f"  - {line}")
    return 1 if bad else 0


def cmd_deploy(args: argparse.Namespace) -> int:
    engine = _engine(args)
    status = 0
    for path in _ordered(args.files, args.lang):
        try:
            for dep in engine.deploy(path, actor=args.user):
                print(f"{path}: {dep.process_key} version {dep.version} ({dep.content_hash[:12]})")
        except DiagramInvalid as exc:
            status = 1
            print(translator(args.lang)("%(path)s: refused, nothing deployed") % {"path": path})
            for line in problem_lines(exc.problems, args.lang):
                print(f"  - {line}")
    return status


def _print_ready(inst: InstanceView) -> None:
    """The instance's ready tasks, one a line, with the ids `anjie complete` takes."""
    for task in inst.tasks:
        print(f"  task {task.id}  {task.element_id}  {task.name or ''}")


def cmd_start(args: argparse.Namespace) -> int:
    engine = _engine(args)
    inst = engine.start(args.key, _json_arg(args.data), actor=args.user, business_key=args.business_key)
    print(f"instance {inst.id} ({inst.process_key} v{inst.version}): {inst.status}")
    _print_ready(inst)
    return 0


def cmd_tasks(args: argparse.Namespace) -> int:
    engine = _engine(args)
    tasks = engine.tasks(assignee=args.user, candidate_group=args.group)
    for t in tasks:
        due = t.due_at.isoformat() if t.due_at else "-"
        who = t.assignee or ",".join(t.candidate_groups) or "-"
        print(f"{t.id}  instance {t.instance_id}  {t.element_id}  {t.name or ''}  due {due}  {who}")
    print(f"{len(tasks)} tasks")
    return 0


def cmd_complete(args: argparse.Namespace) -> int:
    engine = _engine(args)
    inst = engine.complete(args.task, _json_arg(args.data), actor=args.user)
    print(f"instance {inst.id}: {inst.status}")
    _print_ready(inst)
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    engine = _engine(args)
    for e in engine.history(args.instance):
        changes = ", ".join(f"{k}: {b!r} → {a!r}" for k, (b, a) in e.changes.items())
        print(f"{e.seq:>4} {e.at.isoformat()} {e.type:<18} {e.element_id or '-':<24} {e.actor:<12} {changes}")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    """Move instances to a version (`--check`: only say whether each can move, and why not)."""
    engine = _engine(args)
    ids = list(args.instances)
    if args.all_of is not None:
        key, _, version = args.all_of.partition(":")
        ids += engine.designs.running_instances(key, int(version) if version else None)
    refused = 0
    for instance_id in ids:
        check = engine.can_migrate(instance_id, args.version)
        if check.ok and not args.check:
            try:
                engine.migrate(instance_id, args.version, actor=args.user)
            except MigrationRefused as exc:  # it moved on since the check
                print(f"instance {instance_id}: refused: {exc}")
                refused += 1
                continue
            print(f"instance {instance_id}: moved from version {check.from_version} to {check.to_version}")
        elif check.ok:
            print(f"instance {instance_id}: can move from version {check.from_version} to {check.to_version}")
        else:
            refused += 1
            print(f"instance {instance_id}: cannot move: " + "; ".join(p.message for p in check.problems))
    print(f"{len(ids) - refused} of {len(ids)} instances {'can move' if args.check else 'moved'}")
    return 1 if refused else 0


def cmd_format(args: argparse.Namespace) -> int:
    """Rewrite diagrams one element per line, as Camunda Modeler writes them (`--check`: only report)."""
    unformatted = 0
    for path in _ordered(args.files, getattr(args, "lang", "zh")):
        raw = path.read_bytes()
        formatted = format_diagram(raw)
        if formatted == raw:
            continue
        unformatted += 1
        if args.check:
            print(f"{path}: not formatted")
        else:
            path.write_bytes(formatted)
            print(f"{path}: formatted")
    return 1 if args.check and unformatted else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="anjie", description="Anjie (案结) workflow engine")
    sub = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--database-url", default=None, help="default: ANJIE_DATABASE_URL or instance/anjie.db")
    common.add_argument("--lang", choices=LANGUAGES, default=LANGUAGES[0],
                        help="language of the problems a refused diagram lists (default: zh)")

    p = sub.add_parser("validate", parents=[common], help="check diagrams; exit 1 listing every problem")
    p.add_argument("files", nargs="+")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("deploy", parents=[common], help="deploy BPMN/DMN files")
    p.add_argument("files", nargs="+")
    p.add_argument("--user", default="designer")
    p.set_defaults(func=cmd_deploy)

    p = sub.add_parser("start", parents=[common], help="start an instance")
    p.add_argument("key")
    p.add_argument("--data")
    p.add_argument("--user", default="clerk")
    p.add_argument("--business-key")
    p.set_defaults(func=cmd_start)

    p = sub.add_parser("tasks", parents=[common], help="list ready human tasks")
    p.add_argument("--user")
    p.add_argument("--group")
    p.set_defaults(func=cmd_tasks)

    p = sub.add_parser("complete", parents=[common], help="complete a task")
    p.add_argument("task")
    p.add_argument("--user", required=True)
    p.add_argument("--data")
    p.set_defaults(func=cmd_complete)

    p = sub.add_parser("history", parents=[common], help="print an instance's history")
    p.add_argument("instance", type=int)
    p.set_defaults(func=cmd_history)

    p = sub.add_parser("migrate", parents=[common], help="move running instances to another version")
    p.add_argument("version", type=int, help="the version to move to")
    p.add_argument("instances", type=int, nargs="*", help="instance ids")
    p.add_argument("--all-of", metavar="KEY[:VERSION]",
                   help="also every running instance of a process (of one version)")
    p.add_argument("--check", action="store_true", help="move nothing; say whether each can move")
    p.add_argument("--user", default="designer")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("format", help="rewrite diagrams one element per line (as Camunda Modeler does)")
    p.add_argument("files", nargs="+")
    p.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file is not formatted")
    p.set_defaults(func=cmd_format)

    # Commands of the scheduler and the web app register themselves when installed.
    for module in ("anjie.timercli", "anjie.webcli", "anjie.auditcli", "anjie.importcli"):
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module).register(sub)
    return parser


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        # The operation log names who ran a command that names no actor (user and token commands).
        with acting_as(f"{_os_user()}@cli"):
            return int(args.func(args) or 0)
    except EngineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        while _opened:
            _opened.pop().close()


if __name__ == "__main__":
    sys.exit(main())
