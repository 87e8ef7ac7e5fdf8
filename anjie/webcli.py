"""`anjie serve`, `anjie user add|passwd` and `anjie token create|list|revoke`: the web side of
the CLI."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine import AccountError, Engine, Settings

PROCESSES = Path(__file__).resolve().parent.parent / "processes"


def register(subparsers: Any) -> None:
    """Add serve, user and token subcommands to the `anjie` argument parser."""
    serve = subparsers.add_parser("serve", help="run the web app (with the timer scheduler)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5000)
    serve.add_argument("--demo", action="store_true",
                       help="demo users (passwords printed) and a demo campaign")
    serve.add_argument("--no-scheduler", action="store_true", help="do not fire due timers")
    serve.add_argument("--processes", default=str(PROCESSES),
                       help="folder of diagrams to deploy at start")
    _db(serve)
    serve.set_defaults(func=cmd_serve)

    user = subparsers.add_parser("user", help="manage users").add_subparsers(
        dest="user_command", required=True)
    add = user.add_parser("add", help="add a user (the password is asked for)")
    add.add_argument("name")
    add.add_argument("--group", "-g", action="append", default=[], dest="groups",
                     help="a group (role); repeat for several")
    add.add_argument("--display-name")
    add.add_argument("--unit", help="the unit (单位) user pickers show beside the name")
    add.add_argument("--email", help="where reminders of near-due and overdue work are mailed")
    _db(add)
    add.set_defaults(func=cmd_user_add)
    passwd = user.add_parser("passwd", help="set a user's password (and lift a lockout)")
    passwd.add_argument("name")
    _db(passwd)
    passwd.set_defaults(func=cmd_user_passwd)

    token = subparsers.add_parser("token", help="API tokens").add_subparsers(
        dest="token_command", required=True)
    create = token.add_parser("create", help="make a bearer token for a user (shown once)")
    create.add_argument("user")
    _db(create)
    create.set_defaults(func=cmd_token_create)
    listing = token.add_parser("list", help="list tokens (of one user, or of everyone): never the tokens")
    listing.add_argument("user", nargs="?")
    _db(listing)
    listing.set_defaults(func=cmd_token_list)
    revoke = token.add_parser("revoke", help="revoke a token by its id (from `anjie token list`)")
    revoke.add_argument("id", type=int)
    _db(revoke)
    revoke.set_defaults(func=cmd_token_revoke)


def _db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", default=None,
                        help="SQLAlchemy URL (default: ANJIE_DATABASE_URL or instance/anjie.db)")


def _open(args: argparse.Namespace) -> Engine:
    return Engine.open(args.database_url)


def _read_password(prompt: str = "Password: ") -> str:
    """Ask twice on a terminal; read one line from a pipe."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass(prompt)
    if getpass.getpass("Again: ") != first:
        raise SystemExit("the passwords differ")
    return first


def _account_command(action: Callable[[], Any], done: Callable[[Any], str]) -> int:
    """Run an account change; print what was done, or the refusal (exit 1)."""
    try:
        result = action()
    except AccountError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(done(result))
    return 0


def cmd_user_add(args: argparse.Namespace) -> int:
    engine = _open(args)
    return _account_command(
        lambda: engine.accounts.add_user(args.name, _read_password(), args.groups, display_name=args.display_name,
                                          unit=args.unit, email=args.email),
        lambda _: f"user {args.name} added with groups {', '.join(args.groups) or '(none)'}",
    )


def cmd_user_passwd(args: argparse.Namespace) -> int:
    engine = _open(args)
    return _account_command(
        lambda: engine.accounts.set_password(args.name, _read_password("New password: ")),
        lambda _: f"password of {args.name} changed",
    )


def cmd_token_create(args: argparse.Namespace) -> int:
    engine = _open(args)
    return _account_command(lambda: engine.accounts.create_token(args.user), str)


def cmd_token_list(args: argparse.Namespace) -> int:
    engine = _open(args)
    now = engine.clock()
    print(f"{'id':>5}  {'user':<16} {'created':<16} {'expires':<16} {'last used':<16} state")
    for t in engine.accounts.tokens(args.user):
        state = "revoked" if t.revoked else "live" if t.is_live(now) else "expired"
        used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "-"
        print(f"{t.id:>5}  {t.username:<16} {t.created_at:%Y-%m-%d %H:%M} {t.expires_at:%Y-%m-%d %H:%M} "
              f"{used:<16} {state}")
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    engine = _open(args)
    if not any(t.id == args.id for t in engine.accounts.tokens()):
        print(f"no token {args.id}", file=sys.stderr)
        return 1
    live = engine.accounts.revoke_token(args.id)
    print(f"token {args.id} revoked" if live else f"token {args.id} was not live; it stays revoked")
    return 0


def start_scheduler(engine: Engine) -> Any:
    """Start the timer scheduler in this process, sweeping every ANJIE_TIMER_INTERVAL_SECONDS."""
    from engine import start_scheduler as start

    return start(engine, interval=engine.settings.timer_interval_seconds)


def cmd_serve(args: argparse.Namespace) -> int:
    from werkzeug.serving import make_server

    from webapp import create_app
    from webapp.demo import deploy_shipped, seed

    settings = Settings.from_env(database_url=args.database_url)
    engine = Engine.open(settings.database_url, settings=settings)
    processes = Path(args.processes)
    url = f"http://{args.host}:{args.port}/"
    if args.demo:
        result = seed(engine, processes)
        print("Demo users (passwords are new at every start with --demo):")
        for name, password in result.passwords.items():
            print(f"  {name:<12} {password}")
        if not Path(settings.checkpoint_key_file).exists():
            # The demo signs its daily history checkpoints with a key of its own (kept in the
            # instance folder); an office makes and guards its key with `anjie keygen`.
            engine.audit.keygen(settings.checkpoint_key_file)
    elif processes.is_dir():
        deploy_shipped(engine, processes)
    if not args.no_scheduler:
        start_scheduler(engine)
    app = create_app(settings, engine=engine)
    server = make_server(args.host, args.port, app, threaded=True)  # listening from here on
    print(f"Anjie is running at {url}  (Ctrl+C stops it)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
