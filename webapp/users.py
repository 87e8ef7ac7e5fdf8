"""User management: only admins add users, set their groups, reset passwords, lock them out."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine import AccountError, UserExists, UserNotFound, WeakPassword
from webapp import access
from webapp.auth import current_user, require
from webapp.services import accounts

bp = Blueprint("users", __name__, url_prefix="/users")


@bp.get("/")
@require(access.MANAGE_USERS)
def index() -> str:
    """Every user with their groups."""
    return render_template("users/index.html", users=accounts().users(), roles=access.ROLES,
                           errors={}, values={})


@bp.post("/")
@require(access.MANAGE_USERS)
def add() -> Any:
    """Add a user."""
    username = request.form.get("username", "").strip()
    groups = [g for g in request.form.getlist("groups") if g in access.ROLES]
    errors: dict[str, str] = {}
    if not username:
        errors["username"] = _("This field is required.")
    else:
        try:
            accounts().add_user(username, request.form.get("password", ""), groups,
                                display_name=request.form.get("display_name") or None,
                                unit=request.form.get("unit") or None, email=request.form.get("email") or None)
        except UserExists:
            errors["username"] = _("This name is taken.")
        except WeakPassword:
            errors["password"] = _("At least 8 characters, not the user name.")
        except AccountError:
            errors["email"] = _("That is not an e-mail address.")
    if errors:
        return render_template("users/index.html", users=accounts().users(),
                               roles=access.ROLES, errors=errors, values=request.form), 400
    flash(_("User %(name)s added.", name=username), "success")
    return redirect(url_for("users.index"))


@bp.post("/<username>/details")
@require(access.MANAGE_USERS)
def set_details(username: str) -> Any:
    """Change the name people read and the unit (单位) of a user, as user pickers show them, and
    the e-mail address reminders go to."""
    try:
        accounts().set_details(username, display_name=request.form.get("display_name"),
                               unit=request.form.get("unit"), email=request.form.get("email"))
    except UserNotFound:
        abort(404)
    except AccountError:
        flash(_("That is not an e-mail address."), "error")
    else:
        flash(_("Details of %(name)s saved.", name=username), "success")
    return redirect(url_for("users.index"))


@bp.post("/<username>/groups")
@require(access.MANAGE_USERS)
def set_groups(username: str) -> Any:
    """Replace a user's groups."""
    groups = [g for g in request.form.getlist("groups") if g in access.ROLES]
    accounts().set_groups(username, groups)
    flash(_("Groups of %(name)s saved.", name=username), "success")
    return redirect(url_for("users.index"))


@bp.post("/<username>/password")
@require(access.MANAGE_USERS)
def set_password(username: str) -> Any:
    """Set a new password for a user (and lift a lockout)."""
    try:
        accounts().set_password(username, request.form.get("password", ""))
    except WeakPassword:
        flash(_("At least 8 characters, not the user name."), "error")
    else:
        flash(_("Password of %(name)s changed.", name=username), "success")
    return redirect(url_for("users.index"))


@bp.post("/<username>/active")
@require(access.MANAGE_USERS)
def set_active(username: str) -> Any:
    """Enable or disable a user (admins cannot disable themselves)."""
    active = request.form.get("active") == "1"
    if username == current_user().username and not active:
        flash(_("You cannot disable yourself."), "error")
    else:
        accounts().set_active(username, active)
    return redirect(url_for("users.index"))
