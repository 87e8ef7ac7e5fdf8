"""POST /api/v1/messages: a message from outside (a portal, the SMS gateway) for the case waiting for it.

Bearer tokens as for the rest of /api/v1; service workers and coordinators may send messages.
No waiting receiver answers 404, more than one 409; either way nothing changes.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify

from engine import MessageNotCorrelated
from webapp import access
from webapp.api import authenticate, body, plain
from webapp.auth import current_user
from webapp.errors import error_response
from webapp.services import engine

bp = Blueprint("messages_api", __name__, url_prefix="/api/v1/messages")
bp.before_request(authenticate)


@bp.errorhandler(MessageNotCorrelated)
def not_correlated(exc: MessageNotCorrelated) -> Any:
    status = 404 if exc.matches == 0 else 409
    return error_response(status, "Message not delivered", str(exc), matches=exc.matches)


@bp.post("")
def correlate() -> Any:
    """Deliver `{"name", "business_key"?, "correlation"?, "data"?}` to the one receiver waiting for it."""
    user = current_user()
    if not access.has_any(user.groups, access.SEND_MESSAGES):
        abort(403)
    data = body()
    name, key = data.get("name"), data.get("business_key")
    correlation, payload = data.get("correlation") or {}, data.get("data") or {}
    if not isinstance(name, str) or not name.strip() or not isinstance(key, str | None) \
            or not isinstance(correlation, dict) or not isinstance(payload, dict):
        abort(400)
    instance = engine().correlate(name.strip(), business_key=key, correlation=correlation, data=payload,
                                  actor=user.username)
    return jsonify(plain(instance))
