"""`anjie import cases FILE.xlsx`: register a ledger file's cases, with a progress bar in the terminal.

Every row is checked first and each problem printed (row, column, message; Chinese unless
`--lang en`); nothing is imported while a row is bad unless `--only-good-rows`. Rows whose case
number is in the ledger already are skipped, so running it twice on one file imports once.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from anjie.language import LANGUAGES, translator
from anjie.opened import opened_engine
from engine import check_cases, describe_import_problem, import_cases


class ProgressBar:
    """A one-line progress bar redrawn in place (`\\r`) on a terminal, or a line per tenth elsewhere."""

    def __init__(self, out: TextIO, width: int = 30) -> None:
        self.out, self.width = out, width
        self.began = time.perf_counter()
        self.tty = out.isatty()
        self.shown_tenth = -1

    def __call__(self, done: int, total: int) -> None:
        share = done / total if total else 1.0
        tenth = int(share * 10)
        if not self.tty and tenth == self.shown_tenth:
            return
        self.shown_tenth = tenth
        filled = int(share * self.width)
        bar = "#" * filled + "." * (self.width - filled)
        line = f"[{bar}] {done}/{total} {share:4.0%} {time.perf_counter() - self.began:5.1f} s"
        self.out.write(("\r" + line) if self.tty else line + "\n")
        if self.tty and done >= total:
            self.out.write("\n")
        self.out.flush()


def cmd_import_cases(args: argparse.Namespace) -> int:
    say = translator(args.lang)
    path = Path(args.file)
    if not path.exists():
        print(say("%(path)s: no such file") % {"path": path}, file=sys.stderr)
        return 2
    with opened_engine(args) as engine:
        if args.check:
            check = check_cases(engine, path, campaign_id=args.campaign)
            problems, blocked = check.problems, not check.ok
            summary = say("%(total)s rows: %(good)s good, %(bad)s with problems, %(existing)s already in the "
                          "ledger (skipped).") % {"total": check.total, "good": len(check.good),
                                                  "bad": len(check.bad_rows), "existing": len(check.existing)}
        else:
            report = import_cases(engine, path, campaign_id=args.campaign, only_good_rows=args.only_good_rows,
                                  actor=args.user, progress=ProgressBar(sys.stderr))
            problems, blocked = report.problems, report.blocked
            summary = say("Imported: %(imported)s; skipped (already in the ledger): %(skipped)s.") % {
                "imported": len(report.imported), "skipped": len(report.skipped)}
    for p in problems:
        print(say("row %(row)s, column %(column)s: %(problem)s") % {
            "row": p.row, "column": p.column or "-", "problem": describe_import_problem(p, say)})
    if blocked and not args.check:
        print(say("Nothing was imported."))
    print(summary)
    return 1 if blocked else 0


def register(subparsers: Any) -> None:
    """Add `anjie import cases` to the command line."""
    imp = subparsers.add_parser("import", help="import cases into the ledger from an Excel file")
    sub = imp.add_subparsers(dest="import_command", required=True)
    p = sub.add_parser("cases", help="check every row of FILE.xlsx, then register its cases")
    p.add_argument("file", metavar="FILE.xlsx")
    p.add_argument("--database-url", default=None, help="default: ANJIE_DATABASE_URL or instance/anjie.db")
    p.add_argument("--lang", choices=LANGUAGES, default=LANGUAGES[0], help="language of the problems (default: zh)")
    p.add_argument("--campaign", metavar="ID", help="the campaign the imported cases join")
    p.add_argument("--only-good-rows", action="store_true", help="import the good rows even when others are bad")
    p.add_argument("--check", action="store_true", help="check every row, import nothing")
    p.add_argument("--user", default="clerk", help="who registers the cases (default: clerk)")
    p.set_defaults(func=cmd_import_cases)
