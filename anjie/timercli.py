"""`anjie scheduler`, `anjie timers` and `anjie calendar`: timers and the working-day calendar."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from anjie.opened import opened_engine
from engine import CalendarOverrideInvalid, Settings, parse_datetime, run_scheduler


def cmd_scheduler(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s",
    )
    # Our own logger reports every sweep that fired something and every failure; SpiffWorkflow
    # logs each task state change and APScheduler each run (and each run skipped while a long
    # sweep is still going), which would bury that.
    for noisy in ("spiff", "apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    settings = Settings.from_env()
    interval = args.interval if args.interval is not None else settings.timer_interval_seconds
    with opened_engine(args) as engine:
        run_scheduler(engine, interval)
    return 0


def cmd_timers(args: argparse.Namespace) -> int:
    due_before = None
    if args.due_before:
        try:
            due_before = parse_datetime(args.due_before)
        except ValueError:
            raise SystemExit(
                f"--due-before is not an ISO date or datetime: {args.due_before!r}"
            ) from None
    with opened_engine(args) as engine:
        timers = engine.timers(due_before)
    for t in timers:
        print(f"instance {t.instance_id:<8} {t.element_id:<32} due {t.due_at.isoformat()}")
    print(
        f"{len(timers)} waiting timers"
        + (f" due before {due_before.isoformat()}" if due_before else "")
    )
    return 0


def cmd_calendar_show(args: argparse.Namespace) -> int:
    with opened_engine(args) as engine:
        year = engine.calendar.show(args.year)
    print(f"{year.year}: {year.working_days} working days")
    if not year.published:
        print(
            f"  note: no make-up workdays (调休) known for {year.year}; the State Council may not "
            "have published its schedule yet (upgrade the holidays package when it has)"
        )
    for d in year.days:
        who = f" (by {d.created_by})" if d.created_by else ""
        print(
            f"  {d.day.isoformat()} {d.day.strftime('%a')}  {d.kind:<8} {d.source:<9} {d.name}{who}"
        )
    return 0


def cmd_calendar_override(args: argparse.Namespace) -> int:
    try:
        with opened_engine(args) as engine:
            if args.kind == "clear":
                removed = engine.calendar.clear_override(args.date)
                print(
                    f"{args.date}: override removed" if removed else f"{args.date}: had no override"
                )
            else:
                day = engine.calendar.set_override(args.date, args.kind, actor=args.user)
                print(f"{day.day.isoformat()}: now a {day.kind} (local override)")
    except CalendarOverrideInvalid as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def register(subparsers: Any) -> None:
    """Add the scheduler, timers and calendar commands to the `anjie` command line."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--database-url", default=None, help="default: ANJIE_DATABASE_URL or instance/anjie.db"
    )

    p = subparsers.add_parser(
        "scheduler",
        parents=[common],
        help="fire due timers every few seconds until stopped (SIGINT/SIGTERM)",
    )
    p.add_argument(
        "--interval",
        type=float,
        default=None,
        help="seconds between sweeps (default: ANJIE_TIMER_INTERVAL_SECONDS or 5)",
    )
    p.set_defaults(func=cmd_scheduler)

    p = subparsers.add_parser("timers", parents=[common], help="list waiting timers, soonest first")
    p.add_argument("--due-before", metavar="ISO", help="only timers due at or before this time")
    p.set_defaults(func=cmd_timers)

    cal = subparsers.add_parser(
        "calendar", help="the working-day calendar (holidays, 调休, local overrides)"
    )
    cal_sub = cal.add_subparsers(dest="calendar_command", required=True)
    p = cal_sub.add_parser(
        "show", parents=[common], help="holidays, make-up workdays and overrides of a year"
    )
    p.add_argument("year", type=int)
    p.set_defaults(func=cmd_calendar_show)
    p = cal_sub.add_parser(
        "override", parents=[common], help="force a date to be a workday or a holiday"
    )
    p.add_argument("date", help="ISO date, e.g. 2025-10-09")
    p.add_argument(
        "kind", choices=["workday", "holiday", "clear"], help="clear removes the override"
    )
    p.add_argument("--user", default="admin")
    p.set_defaults(func=cmd_calendar_override)
