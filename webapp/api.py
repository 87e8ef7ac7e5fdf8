"""The JSON API under /api/v1, for bearer tokens made with `anjie token create USER`.

Its OpenAPI 3 document is `webapp.openapi.DOCUMENT`, served at /api/v1/openapi.json.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, g, jsonify, request
from werkzeug.wrappers import Response

from engine import MAX_PAGE, DiagramInvalid, InboxFilter, has_control_character
from webapp import access, cases, dashboard, operation_log, repeat_petitions, tasks
from webapp.auth import current_user
from webapp.errors import error_response
from webapp.inbox import COLOURS
from webapp.openapi import DOCUMENT
from webapp.services import accounts, engine, queries, settings

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.before_request
def authenticate() -> None:
    """Every API call needs `Authorization: Bearer <token>`; cookies are never used here."""
    g.user = None
    # Checked against Content-Length before anything is read (413 past the limit).
    request.max_content_length = settings().max_api_body_bytes
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        g.user = accounts().verify_token(token.strip())
    if g.user is None:
        abort(401)
    engine().audit.name_actor(g.user.username)


_SCALARS = (str, int, float, bool, type(None))


def plain(value: Any) -> Any:
    """Dataclasses, tuples and datetimes as JSON-ready values (scalars first: most values are)."""
    if isinstance(value, _SCALARS):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


#: How deep a request body's JSON may nest (the data inside it has the engine's own limit).
MAX_JSON_DEPTH = 40
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(rb"[\[\]{}]")


def json_depth(raw: bytes) -> int:
    """How deep the arrays and objects of a JSON text nest, counted before it is parsed."""
    depth = deepest = 0
    for m in _BRACKET.finditer(_STRING.sub(b'""', raw)):
        depth += 1 if m.group() in (b"[", b"{") else -1
        deepest = max(deepest, depth)
    return deepest


def _strings(value: Any) -> Iterator[str]:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def body() -> dict[str, Any]:
    """The JSON object of the request, or 400: not JSON, nested past MAX_JSON_DEPTH, or with a
    control character in any string."""
    if json_depth(request.get_data(cache=True)) > MAX_JSON_DEPTH:
        abort(400, f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400)
    if any(has_control_character(text) for text in _strings(data)):
        abort(400, "control characters (such as NUL) are not allowed")
    return data


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3 document of this API."""
    return jsonify(DOCUMENT)


@bp.get("/me")
def me() -> Response:
    """Who the token belongs to."""
    user = current_user()
    return jsonify(username=user.username, display_name=user.display_name,
                   groups=list(user.groups))


@bp.get("/reminders")
def reminders() -> Response:
    """The caller's near-due and overdue tasks, as holder and as case leader, with their counts."""
    user = current_user()
    counts = engine().reminders.counts(user.username, user.groups, fresh=True)
    items = engine().reminders.for_user(user.username, user.groups)
    return jsonify(near_due=counts.near_due, overdue=counts.overdue, items=[plain(r) for r in items])


@bp.get("/deployments")
def deployments() -> Response:
    """Every deployed process version."""
    if not access.has_any(current_user().groups, access.SEE_DEPLOYMENTS):
        abort(403)
    return jsonify([plain(d) for d in engine().deployments()])


@bp.post("/deployments")
def deploy() -> Any:
    """Deploy a BPMN/DMN diagram sent as the request body (designers only)."""
    if not access.has_any(current_user().groups, access.DEPLOY):
        abort(403)
    source = request.get_data()
    if not source:
        abort(400)
    try:
        done = engine().deploy(source, actor=current_user().username)
    except DiagramInvalid as exc:
        return error_response(422, "Diagram invalid", "the diagram was refused",
                              problems=[plain(p) for p in exc.problems])
    return jsonify([plain(d) for d in done]), 201


@bp.post("/instances")
def start() -> Any:
    """Start a process instance (a case)."""
    if not access.has_any(current_user().groups, access.START):
        abort(403)
    data = body()
    key = data.get("process_key")
    payload = data.get("data") or {}
    business_key = data.get("business_key")
    version = data.get("version")
    if not isinstance(key, str) or not isinstance(payload, dict) \
            or not isinstance(business_key, str | None) \
            or not (version is None or (isinstance(version, int)
                                        and not isinstance(version, bool) and 0 < version < 2**31)):
        abort(400)
    instance = engine().start(key, payload, actor=current_user().username,
                              business_key=business_key, version=version)
    return jsonify(plain(instance)), 201


@bp.get("/instances/<int(signed=True):instance_id>")
def instance(instance_id: int) -> Response:
    """One instance with its data and ready tasks."""
    return jsonify(plain(cases.load(instance_id)))


@bp.get("/instances/<int(signed=True):instance_id>/history")
def history(instance_id: int) -> Response:
    """The history events of an instance, oldest first."""
    cases.load(instance_id)
    return jsonify([plain(e) for e in engine().history(instance_id)])


@bp.get("/instances/<int(signed=True):instance_id>/history/export")
def export_history(instance_id: int) -> Response:
    """One case's history as JSON Lines or CSV, with chain hashes and covering checkpoints."""
    if not access.has_any(current_user().groups, access.EXPORT_HISTORY):
        abort(403)
    cases.load(instance_id)
    return operation_log.export_response([instance_id], request.args.get("format", "jsonl"),
                                         f"case-{instance_id}-history")


@bp.get("/campaigns/<campaign_id>/history/export")
def export_campaign_history(campaign_id: str) -> Response:
    """Every case of a campaign: its history as JSON Lines or CSV, with hashes and checkpoints."""
    if not access.has_any(current_user().groups, access.EXPORT_HISTORY):
        abort(403)
    ids = engine().audit.export_cases(campaign_id=campaign_id)
    if not ids:
        abort(404)
    return operation_log.export_response(ids, request.args.get("format", "jsonl"), "campaign-history")


@bp.get("/figures")
def office_figures() -> Response:
    """The dashboard's figures of the whole office: rates, counts, overdue lists, weekly trend."""
    if not access.has_any(current_user().groups, access.DASHBOARD):
        abort(403)
    return jsonify(dashboard.figures_json(engine().campaigns.figures(None)))


@bp.get("/campaigns/<path:campaign_id>/figures")
def campaign_figures(campaign_id: str) -> Response:
    """The dashboard's figures of one campaign, with its targets against the actual rates (404: unknown)."""
    if not access.has_any(current_user().groups, access.DASHBOARD):
        abort(403)
    campaign = engine().campaigns.get(campaign_id)
    body = dashboard.figures_json(engine().campaigns.figures(campaign_id))
    body["targets"] = [{"rate": c.rate, "kind": c.kind, "target": c.target, "actual": c.actual.percent,
                        "numerator": c.actual.numerator, "denominator": c.actual.denominator, "met": c.met}
                       for c in engine().campaigns.target_checks(campaign)]
    body["current_phase"] = campaign.current_phase
    return jsonify(body)


@bp.get("/operations")
def operations() -> Response:
    """The operation log, newest first (auditors and admins), with the page's filters."""
    if not access.has_any(current_user().groups, access.AUDIT_LOG):
        abort(403)
    entries = engine().audit.operations(operation_log.operation_filter(request.args))
    return jsonify([plain(e) for e in entries])


@bp.post("/instances/<int(signed=True):instance_id>/repeat-petitions")
def repeat_petition(instance_id: int) -> Any:
    """Record a repeat petition against a case (intake clerks), with `{"data": {...}}` as the
    repeat-petition task's form takes it; answers the case afterwards (reopened if it was closed)."""
    cases.load(instance_id)
    data = body().get("data", {})
    if not isinstance(data, dict):
        abort(400)
    return jsonify(plain(repeat_petitions.record(instance_id, data))), 201


@bp.get("/instances/<int(signed=True):instance_id>/replay")
def replay(instance_id: int) -> Response:
    """The instance as it stood after history event `step` (default: the last)."""
    cases.load(instance_id)
    step = request.args.get("step", type=int)
    if step is None:
        events = engine().history(instance_id)
        step = events[-1].seq if events else 0
    if not 0 <= step < 2**31:
        abort(400)
    return jsonify(plain(engine().replay(instance_id, step)))


@bp.get("/tasks")
def task_list() -> Response:
    """My inbox: my tasks and my groups' claimable tasks, most urgent first; with `instance_id` or
    `candidate_group`, the ready tasks of that case (which I may read) or that group (mine)."""
    user = current_user()
    args = request.args
    if "instance_id" in args or "candidate_group" in args:
        return _tasks_of(args.get("instance_id", type=int), args.get("candidate_group"))
    colour = args.get("colour") or None
    if colour is not None and colour not in COLOURS:
        abort(400)
    page = args.get("page", 1, type=int)
    per_page = args.get("per_page", 50, type=int)
    if not 1 <= page <= MAX_PAGE or not 1 <= per_page <= 200:
        abort(400)
    flt = InboxFilter(process_key=args.get("process") or None,
                      campaign_id=args.get("campaign") or None, risk_colour=colour,
                      overdue=args.get("overdue") in ("1", "true"),
                      mine_only=args.get("mine") in ("1", "true"))
    result = queries().inbox(user.username, user.groups, flt, page=page, per_page=per_page)
    return jsonify(items=[plain(i) for i in result.items], counts=plain(result.counts),
                   page=result.page, per_page=result.per_page, pages=result.pages)


def _tasks_of(instance_id: int | None, group: str | None) -> Response:
    if "instance_id" in request.args and instance_id is None:
        abort(400)
    if instance_id is not None:
        cases.load(instance_id)
    user = current_user()
    if group is not None and group not in user.groups and not access.has_any(user.groups, access.READ_ALL):
        abort(403)
    if instance_id is None and group is None:
        abort(400)
    found = engine().tasks(instance_id=instance_id, candidate_group=group or None)
    return jsonify([plain(t) for t in found])


@bp.get("/tasks/<task_id>")
def task(task_id: str) -> Response:
    """One task with its form."""
    return jsonify(plain(tasks.load(task_id, work=False)))


@bp.post("/tasks/<task_id>/claim")
def claim(task_id: str) -> Response:
    """Take an unassigned task offered to one of my groups."""
    found = tasks.load(task_id, work=True)
    if found.assignee is None:
        engine().claim(task_id, actor=current_user().username)
    return jsonify(plain(engine().task(task_id)))


@bp.post("/tasks/<task_id>/unclaim")
def unclaim(task_id: str) -> Response:
    """Give a task I hold back to its groups."""
    found = tasks.load(task_id, work=True)
    if found.assignee != current_user().username:
        abort(403)
    engine().unclaim(task_id, actor=current_user().username)
    return jsonify(plain(engine().task(task_id)))


@bp.post("/tasks/<task_id>/complete")
def complete(task_id: str) -> Any:
    """Complete a task with `{"data": {...}}`; answers the instance afterwards."""
    found = tasks.load(task_id, work=True)
    data = body().get("data", {})
    if not isinstance(data, dict):
        abort(400)
    missing = [f.id for f in found.form if f.required and data.get(f.id) in (None, "")]
    if missing:
        return error_response(400, "Invalid data", f"required: {', '.join(missing)}",
                              field=missing[0])
    instance = engine().complete(task_id, data, actor=current_user().username)
    return jsonify(plain(instance))
