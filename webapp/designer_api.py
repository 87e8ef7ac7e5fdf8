"""The designer's part of the JSON API under /api/v1: versions, diffs, and moving instances.

Same bearer tokens as `webapp.api`; documented in `webapp.openapi.DOCUMENT`.
"""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request
from werkzeug.wrappers import Response

from webapp import access, api, labels
from webapp.auth import current_user
from webapp.services import engine

bp = Blueprint("designer_api", __name__, url_prefix="/api/v1")
bp.before_request(api.authenticate)


def _allow(roles: frozenset[str]) -> None:
    if not access.has_any(current_user().groups, roles):
        abort(403)


def _version(value: object) -> int:
    """A version number from the request, or 400."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        abort(400)
    try:
        number = int(value)
    except ValueError:
        abort(400)
    if number < 1:
        abort(400)
    return number


@bp.get("/processes/<key>/versions")
def versions(key: str) -> Response:
    """Every version of a process with its change note and running-instance count."""
    _allow(access.SEE_DEPLOYMENTS)
    found = engine().designs.versions(key)
    if not found:
        abort(404)
    return jsonify([api.plain(v) for v in found])


@bp.get("/processes/<key>/diff")
def diff(key: str) -> Response:
    """What changed between two versions (`?from=1&to=2`)."""
    _allow(access.SEE_DEPLOYMENTS)
    old, new = request.args.get("from"), request.args.get("to")
    if old is None or new is None:
        abort(400)
    return jsonify(api.plain(engine().diff(key, _version(old), _version(new))))


@bp.get("/instances/<int:instance_id>/migration")
def can_migrate(instance_id: int) -> Response:
    """Whether an instance can move to `?version=N`, and why not."""
    _allow(access.SEE_DEPLOYMENTS)
    check = engine().can_migrate(instance_id, _version(request.args.get("version")))
    return jsonify({**api.plain(check), "ok": check.ok})


@bp.post("/instances/<int:instance_id>/migrate")
def migrate(instance_id: int) -> Response:
    """Move an instance to `{"version": N}`; 409 with the problems when it cannot move."""
    _allow(access.MIGRATE)
    version = _version(api.body().get("version"))
    return jsonify(api.plain(engine().migrate(instance_id, version, actor=current_user().username)))


@bp.post("/processes/<key>/migrate")
def migrate_all(key: str) -> Response:
    """Move the eligible instances of `from_version` (or only `instance_ids` among them) to
    `to_version`, in one transaction; report each one that stays. The designer's progress bar
    sends the ids a batch at a time."""
    _allow(access.MIGRATE)
    return migrate_batch(key)


def migrate_batch(key: str) -> Response:
    """The bulk move of one JSON request (`from_version`, `to_version`, optional `instance_ids`);
    shared with the designer page, which sends the session cookie instead of a token."""
    data = api.body()
    source, target = _version(data.get("from_version")), _version(data.get("to_version"))
    running = engine().designs.running_instances(key, source)
    wanted = data.get("instance_ids")
    if wanted is not None:
        if not isinstance(wanted, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in wanted):
            abort(400)
        running = [i for i in running if i in set(wanted)]
    checks = engine().migrate_many(running, target, actor=current_user().username) if running else []
    return jsonify(moved=[c.instance_id for c in checks if c.ok],
                   refused=[{"instance_id": c.instance_id,
                             "problems": [{**api.plain(p), "text": labels.migration_text(p)} for p in c.problems]}
                            for c in checks if not c.ok])
