"""Login and logout; every page needs a logged-in user except the login page and static files."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine import AccountLocked, LoginFailed, UserView
from webapp import access
from webapp.i18n import format_when
from webapp.services import accounts, engine

bp = Blueprint("auth", __name__)

PUBLIC_ENDPOINTS = {"auth.login", "static", "i18n.choose"}
F = TypeVar("F", bound=Callable[..., Any])


def init_app(app: Flask) -> None:
    """Load the user of the session before each request and demand a login for every page."""
    app.before_request(_load_user)
    app.context_processor(lambda: {"user": g.get("user"), "access": access})


def _load_user() -> Response | None:
    g.user = None
    if request.blueprint == "api" or request.path.startswith("/api/"):
        return None  # the API authenticates with bearer tokens itself
    username = session.get("user")
    if username:
        user = accounts().find_user(username)
        # A session ends when the user's session generation moved on (logout anywhere, a new
        # password, disabling) even though its signed cookie would still be valid.
        if user is not None and user.is_active and session.get("generation") == user.session_generation:
            g.user = user
            engine().audit.name_actor(user.username)
        else:
            session.clear()
    if g.user is None and request.endpoint not in PUBLIC_ENDPOINTS:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    return None


def current_user() -> UserView:
    """The logged-in user (routes run only after the login check)."""
    user: UserView | None = g.get("user")
    if user is None:
        abort(401)
    return user


def require(allowed: frozenset[str]) -> Callable[[F], F]:
    """Refuse (403) users none of whose groups is in `allowed`."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not access.has_any(current_user().groups, allowed):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    """Show the login form; on a good password start a fresh session."""
    error = None
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        try:
            user = accounts().verify(username, request.form.get("password", ""),
                                     client=request.remote_addr or "")
        except AccountLocked as exc:
            error = _("Too many failed attempts. Try again after %(until)s.",
                      until=format_when(exc.locked_until, seconds=True))
        except LoginFailed:
            error = _("Wrong user name or password.")
        else:
            lang = session.get("lang")
            session.clear()
            session["user"] = user.username
            session["generation"] = user.session_generation
            if lang:
                session["lang"] = lang
            session.permanent = True
            target = request.args.get("next", "")
            if not target.startswith("/") or target.startswith("//"):
                target = url_for("inbox.index")
            return redirect(target)
    return render_template("auth/login.html", error=error, username=username)


@bp.post("/logout")
def logout() -> Response:
    """End the session, and every other session of the same user."""
    if g.get("user") is not None:
        accounts().end_sessions(g.user.username)
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))
