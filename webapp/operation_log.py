"""The operation log in the web app: who acts from which address on every request, the page
/audit/operations for auditors and admins, the log of auditors' reads of a case's personal
data, and the history export download (the engine writes and chains the entries)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Any

from flask import Blueprint, Flask, Response, abort, g, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _

from engine import Action, OperationFilter
from webapp import access
from webapp.auth import current_user, require
from webapp.i18n import DISPLAY_ZONE
from webapp.services import engine

bp = Blueprint("operation_log", __name__, url_prefix="/audit")

_TOKEN = "anjie_operation_origin"


def init_app(app: Flask) -> None:
    """Every request acts from its client address; the actor is named once the login check knows it."""
    app.before_request(_begin)
    app.teardown_request(_end)


def _begin() -> None:
    g.setdefault(_TOKEN, engine().audit.begin_origin("anonymous", request.remote_addr))


def _end(_exc: BaseException | None) -> None:
    token = g.pop(_TOKEN, None)
    if token is not None:
        engine().audit.end_origin(token)


def acting(username: str) -> None:
    """Name the request's actor (the session's or the bearer token's user)."""
    engine().audit.name_actor(username)


def note_case_read(instance_id: int) -> None:
    """An auditor's read of a case's personal data goes in the operation log (a page or API
    read; a refused change that looked the case up first read nothing out)."""
    user = g.get("user")
    if request.method == "GET" and user is not None and access.has_any(user.groups, access.LOGGED_READERS):
        engine().audit.record(Action.PERSONAL_DATA_READ, actor=user.username, target=f"instance {instance_id}",
                              after={"read": request.endpoint, "path": request.path})


def operation_filter(args: Any) -> OperationFilter:
    """The filter of the page's (and the API's) query: actor, action, target, from and to dates."""
    def day(name: str) -> datetime | None:
        raw = (args.get(name) or "").strip()
        if not raw:
            return None
        try:
            return datetime.combine(datetime.fromisoformat(raw).date(), time(), DISPLAY_ZONE)
        except ValueError:
            abort(400, _("Dates are written 2026-03-02."))

    until = day("until")
    action = (args.get("action") or "").strip() or None
    if action is not None and action not in {a.value for a in Action}:
        abort(400, _("Unknown operation."))
    return OperationFilter(
        actor=(args.get("actor") or "").strip()[:200] or None, action=action,
        target=(args.get("target") or "").strip()[:200] or None, since=day("since"),
        until=until + timedelta(days=1) if until else None,
        limit=args.get("limit", 200, type=int) or 200, before_seq=args.get("before", type=int))


#: The operation names people read on the page.
def action_labels() -> dict[str, str]:
    return {
        "login": _("Login"), "login_failed": _("Failed login"), "logout": _("Logout"),
        "token_created": _("API token created"), "token_revoked": _("API token revoked"),
        "user_added": _("User added"), "roles_changed": _("Roles changed"), "password_set": _("Password set"),
        "user_active_changed": _("User enabled or disabled"), "user_unlocked": _("User unlocked"),
        "calendar_override": _("Calendar override"), "deploy": _("Deployment"), "migrate": _("Migration"),
        "assign": _("Task assigned"), "cancel": _("Case cancelled"), "retry": _("Case retried"),
        "suspend": _("Case suspended"), "resume": _("Case resumed"), "export": _("History export"),
        "personal_data_read": _("Personal data read"), "checkpoint": _("Signed checkpoint"),
        "user_email_changed": _("E-mail address changed"), "notice_template_saved": _("Notice template saved"),
    }


@bp.get("/operations")
@require(access.AUDIT_LOG)
def operations() -> str:
    """The operation log, newest first, with filters."""
    flt = operation_filter(request.args)
    entries = engine().audit.operations(flt)
    older = None
    if entries and len(entries) >= flt.limit:
        older = url_for("operation_log.operations", **{**request.args.to_dict(), "before": entries[-1].seq})
    return render_template("audit/operations.html", entries=entries, labels=action_labels(),
                           args=request.args, older=older)


def export_response(instance_ids: list[int], fmt: str, name: str) -> Response:
    """The history of the cases as a download, streamed line by line (and logged as an export)."""
    if fmt not in ("jsonl", "csv"):
        abort(400, _("The export format is jsonl or csv."))
    lines: Iterator[str] = engine().audit.export_lines(instance_ids, fmt, actor=current_user().username)
    mimetype = "text/csv" if fmt == "csv" else "application/x-ndjson"
    response = Response(stream_with_context(line.encode("utf-8") for line in lines), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
