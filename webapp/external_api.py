"""The JSON API outside programs use: external (service) tasks under /api/v1/external-tasks.

Bearer tokens as for the rest of /api/v1 (webapp/api.py); the token's user must have the
`service_worker` role. Paths and bodies are in the OpenAPI document (webapp/openapi.py).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify
from werkzeug.wrappers import Response

from engine import ExternalTaskNotFound, ExternalTaskNotLocked
from webapp import access
from webapp.api import authenticate, body, plain
from webapp.auth import current_user
from webapp.errors import error_response
from webapp.services import engine

bp = Blueprint("external_api", __name__, url_prefix="/api/v1/external-tasks")
bp.before_request(authenticate)


@bp.before_request
def only_workers() -> None:
    """Only accounts with the service_worker role work external tasks."""
    if not access.has_any(current_user().groups, access.EXTERNAL_WORK):
        abort(403)


@bp.errorhandler(ExternalTaskNotFound)
def not_found(exc: ExternalTaskNotFound) -> Any:
    return error_response(404, "Not found", str(exc), task_id=exc.task_id)


@bp.errorhandler(ExternalTaskNotLocked)
def not_locked(exc: ExternalTaskNotLocked) -> Any:
    return error_response(409, "Not locked by this worker", str(exc), task_id=exc.task_id)


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        abort(400)
    return value.strip()


def _int(data: dict[str, Any], key: str, default: int | None = None) -> int:
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool):
        abort(400)
    return value


@bp.post("/fetch-and-lock")
def fetch_and_lock() -> Response:
    """Lock up to `max_tasks` free tasks of `topics` for `worker_id` for `lock_seconds`."""
    data = body()
    topics = data.get("topics")
    if not isinstance(topics, list) or not topics or not all(isinstance(t, str) and t for t in topics):
        abort(400)
    max_tasks = _int(data, "max_tasks", 10)
    if not 1 <= max_tasks <= 100:
        abort(400)
    found = engine().fetch_and_lock(_text(data, "worker_id"), topics, max_tasks=max_tasks,
                                    lock_seconds=_int(data, "lock_seconds", 60))
    return jsonify([plain(t) for t in found])


@bp.post("/<task_id>/complete")
def complete(task_id: str) -> Response:
    """The worker holding the task reports it done with `data`; answers the instance afterwards."""
    data = body()
    output = data.get("data", {})
    if not isinstance(output, dict):
        abort(400)
    return jsonify(plain(engine().complete_external(task_id, worker_id=_text(data, "worker_id"), data=output)))


@bp.post("/<task_id>/failure")
def failure(task_id: str) -> Response:
    """The worker holding the task reports a failure, how many retries are left and the back-off."""
    data = body()
    message = data.get("message")
    if not isinstance(message, str):
        abort(400)
    found = engine().fail_external(task_id, worker_id=_text(data, "worker_id"), message=message,
                                   retries=_int(data, "retries"),
                                   retry_in_seconds=_int(data, "retry_in_seconds", 0))
    return jsonify(plain(found))


@bp.post("/<task_id>/extend-lock")
def extend_lock(task_id: str) -> Response:
    """The worker holding the task needs `seconds` more from now."""
    data = body()
    found = engine().extend_lock(task_id, worker_id=_text(data, "worker_id"), seconds=_int(data, "seconds"))
    return jsonify(plain(found))
