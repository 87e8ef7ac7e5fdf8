"""`anjie verify-history`, `anjie keygen` / `anjie checkpoint [keygen]` and `anjie export history`."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any, TextIO

from anjie.opened import opened_engine
from engine import CheckpointKeyError, Settings, keygen


def cmd_verify(args: argparse.Namespace) -> int:
    """Check the case chains, their state digests, the operation log and (given) the checkpoints."""
    if args.checkpoints and not args.public_key:
        raise SystemExit("--checkpoints needs --public-key (the checkpoint signer's public key)")
    with opened_engine(args) as engine:
        report = engine.audit.verify(args.instance, checkpoint_dir=args.checkpoints, public_key=args.public_key)
    for link in report.chains.broken:
        print(f"BROKEN: instance {link.instance_id} at event {link.seq}: {link.reason}")
    for link in report.rewritten:
        print(f"REWRITTEN: instance {link.instance_id} from event {link.seq}: {link.reason}")
    if not report.operations.ok:
        print(f"BROKEN: operation log at entry {report.operations.bad_seq}: {report.operations.reason}")
    for problem in report.problems:
        print(f"BROKEN: {problem}")
    if not report.ok:
        return 1
    extra = f", {report.checkpoints_read} signed checkpoints match" if args.checkpoints else ""
    print(f"ok: {report.chains.checked_events} events in {report.chains.checked_instances} instances intact, "
          f"operation log of {report.operations.checked} entries intact{extra}")
    return 0


def cmd_keygen(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    path = Path(args.key or settings.checkpoint_key_file)
    try:
        private, public = keygen(path)
    except CheckpointKeyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"private key: {private} (keep it off the database server; never commit it)")
    print(f"public key:  {public} (give it to the auditors)")
    return 0


def cmd_checkpoint(args: argparse.Namespace) -> int:
    if args.action == "keygen":
        return cmd_keygen(args)
    with opened_engine(args) as engine:
        made = engine.audit.checkpoint(key=args.key, directory=args.directory)
    print(f"checkpoint {made.id} at {made.at.isoformat()}: {made.cases} cases and "
          f"{made.operations_seq} operations, root {made.root[:16]}, written to {made.file}")
    return 0


class Progress:
    """A progress bar on stderr, one line redrawn as cases are written (`--quiet`: none)."""

    def __init__(self, total: int, out: TextIO | None = None, width: int = 30) -> None:
        self.total, self.out, self.width = max(total, 1), out or sys.stderr, width
        self.shown = -1

    def __call__(self, done: int) -> None:
        filled = self.width * done // self.total
        if filled == self.shown and done != self.total:
            return
        self.shown = filled
        bar = "#" * filled + "-" * (self.width - filled)
        self.out.write(f"\rexport [{bar}] {done}/{self.total} cases")
        if done == self.total:
            self.out.write("\n")
        self.out.flush()


def cmd_export(args: argparse.Namespace) -> int:
    if args.instance is None and args.campaign is None:
        raise SystemExit("name a case (INSTANCE) or a campaign (--campaign ID)")
    with opened_engine(args) as engine:
        ids = engine.audit.export_cases(instance_id=args.instance, campaign_id=args.campaign)
        if not ids:
            print("error: no such case or campaign", file=sys.stderr)
            return 2
        progress = Progress(len(ids)) if not args.quiet else None
        tmp = Path(str(args.output) + ".part")
        with tmp.open("w", encoding="utf-8", newline="") as out:
            actor = args.user or f"{getpass.getuser()}@cli"
            lines = engine.audit.export_history(out, ids, args.format, actor=actor, progress=progress)
        tmp.replace(args.output)
    print(f"{args.output}: {lines} lines, {len(ids)} cases ({args.format})")
    return 0


def register(subparsers: Any) -> None:
    """Add the audit commands to the `anjie` command line."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--database-url", default=None, help="default: ANJIE_DATABASE_URL or instance/anjie.db")

    p = subparsers.add_parser("verify-history", parents=[common],
                              help="check the history chains, the operation log and signed checkpoints")
    p.add_argument("instance", type=int, nargs="?")
    p.add_argument("--checkpoints", type=Path, metavar="DIR", help="the auditor's checkpoint directory")
    p.add_argument("--public-key", type=Path, metavar="KEY", help="the checkpoint signer's public key (PEM)")
    p.set_defaults(func=cmd_verify)

    p = subparsers.add_parser("keygen", help="make the Ed25519 key pair that signs checkpoints")
    p.add_argument("--key", type=Path, help="private key file (default: ANJIE_CHECKPOINT_KEY_FILE)")
    p.set_defaults(func=cmd_keygen)

    p = subparsers.add_parser("checkpoint", parents=[common],
                              help="sign the chain heads now (`checkpoint keygen`: make the key pair)")
    p.add_argument("action", nargs="?", choices=["keygen"])
    p.add_argument("--key", type=Path, help="private key file (default: ANJIE_CHECKPOINT_KEY_FILE)")
    p.add_argument("--directory", type=Path, help="where the file goes (default: ANJIE_CHECKPOINT_DIR)")
    p.set_defaults(func=cmd_checkpoint)

    exp = subparsers.add_parser("export", help="export history for an outside auditor")
    exp_sub = exp.add_subparsers(dest="export_command", required=True)
    p = exp_sub.add_parser("history", parents=[common], help="one case's or a campaign's history, with hashes")
    p.add_argument("instance", type=int, nargs="?")
    p.add_argument("--campaign", metavar="ID")
    p.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    p.add_argument("--output", type=Path, required=True)
    p.add_argument("--user", default=None, help="who exports, for the operation log (default: USER@cli)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_export)
