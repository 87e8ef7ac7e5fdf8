"""The JSON API a portal or a worker needs beside webapp/api.py: cancel, retry, suspend and resume a
case, read the data a completed task recorded, and keep a task's form as a draft. Bearer tokens as
for the rest of /api/v1."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request
from werkzeug.wrappers import Response

from engine import EventType, TaskState
from webapp import access, cases, tasks
from webapp.api import authenticate, plain
from webapp.auth import current_user
from webapp.services import engine

bp = Blueprint("instance_api", __name__, url_prefix="/api/v1")
bp.before_request(authenticate)


def _reason() -> str:
    data = request.get_json(silent=True)
    reason = data.get("reason") if isinstance(data, dict) else None
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 2000:
        abort(400)
    return reason.strip()


def _allowed(instance_id: int, roles: frozenset[str]) -> str:
    cases.load(instance_id)
    user = current_user()
    if not access.has_any(user.groups, roles):
        abort(403)
    return user.username


@bp.post("/instances/<int(signed=True):instance_id>/cancel")
def cancel(instance_id: int) -> Response:
    """Stop a case for good, with `{"reason": ...}` (coordinators)."""
    actor = _allowed(instance_id, access.COORDINATE)
    return jsonify(plain(engine().cancel(instance_id, actor=actor, reason=_reason())))


@bp.post("/instances/<int(signed=True):instance_id>/retry")
def retry(instance_id: int) -> Response:
    """Run a case stopped by an incident again from where it failed."""
    actor = _allowed(instance_id, access.RETRY)
    return jsonify(plain(engine().retry(instance_id, actor=actor)))


@bp.post("/instances/<int(signed=True):instance_id>/suspend")
def suspend(instance_id: int) -> Response:
    """Pause a case, with `{"reason": ...}`: no task completes and no deadline fires until resumed."""
    actor = _allowed(instance_id, access.COORDINATE)
    return jsonify(plain(engine().suspend(instance_id, actor=actor, reason=_reason())))


@bp.post("/instances/<int(signed=True):instance_id>/resume")
def resume(instance_id: int) -> Response:
    """Let a suspended case go on where it was."""
    actor = _allowed(instance_id, access.COORDINATE)
    return jsonify(plain(engine().resume(instance_id, actor=actor)))


@bp.get("/tasks/<task_id>/data")
def completed_data(task_id: str) -> Response:
    """What a completed task recorded: the values it set, as they were entered."""
    task = engine().task(task_id)
    cases.load(task.instance_id)
    if task.state != TaskState.COMPLETED:
        abort(409)
    done = [e for e in engine().history(task.instance_id)
            if e.type == EventType.TASK_COMPLETED and e.task_id == task_id]
    data = {key: after for key, (_before, after) in done[-1].changes.items()} if done else {}
    return jsonify(task_id=task_id, completed_by=task.completed_by, completed_at=plain(task.completed_at), data=data)


@bp.get("/tasks/<task_id>/draft")
def draft(task_id: str) -> Response:
    """My draft of a task I may work (404 when I saved none)."""
    tasks.load(task_id, work=True)
    found = engine().task_drafts.get(task_id, actor=current_user().username)
    if found is None:
        abort(404)
    return jsonify(plain(found))


@bp.put("/tasks/<task_id>/draft")
def save_draft(task_id: str) -> Response:
    """Keep `{"data": {...}}` as my draft of a task, without completing it (required fields may be empty)."""
    tasks.load(task_id, work=True)
    body = request.get_json(silent=True)
    data = body.get("data", {}) if isinstance(body, dict) else None
    if not isinstance(data, dict):
        abort(400)
    return jsonify(plain(engine().task_drafts.save(task_id, data, actor=current_user().username)))


@bp.delete("/tasks/<task_id>/draft")
def discard_draft(task_id: str) -> Response:
    """Throw my draft of a task away (404 when there was none)."""
    tasks.load(task_id, work=True)
    if not engine().task_drafts.discard(task_id, actor=current_user().username):
        abort(404)
    return Response(status=204)
