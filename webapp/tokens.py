"""My API tokens: see them (never the tokens themselves), make one, revoke one."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from webapp.auth import current_user
from webapp.services import accounts, engine

bp = Blueprint("tokens", __name__, url_prefix="/tokens")


@bp.get("/")
def index() -> str:
    """The current user's tokens, newest first, with when they expire."""
    return render_template("tokens/index.html", tokens=accounts().tokens(current_user().username),
                           now=engine().clock(), new_token=None)


@bp.post("/")
def create() -> str:
    """Make a token for the current user; it is shown this once."""
    token = accounts().create_token(current_user().username)
    return render_template("tokens/index.html", tokens=accounts().tokens(current_user().username),
                           now=engine().clock(), new_token=token)


@bp.post("/<int:token_id>/revoke")
def revoke(token_id: int) -> Response:
    """Revoke one of my tokens (404 for anyone else's)."""
    if token_id >= 2**31 or not any(t.id == token_id for t in accounts().tokens(current_user().username)):
        abort(404)
    accounts().revoke_token(token_id, username=current_user().username)
    flash(_("The token was revoked."), "info")
    return redirect(url_for("tokens.index"))
