"""Reminders (提醒): the reader's near-due and overdue work, as a task holder and as case leader,
listed on one page, with the counts in every page's header."""

from __future__ import annotations

from flask import Blueprint, Flask, g, render_template

from engine import ReminderCounts
from webapp.auth import current_user
from webapp.services import engine

bp = Blueprint("reminders", __name__, url_prefix="/reminders")


def header_counts() -> ReminderCounts | None:
    """The signed-in reader's counts, read once per request (None when nobody is signed in)."""
    if g.get("user") is None:
        return None
    if "reminder_counts" not in g:
        user = current_user()
        g.reminder_counts = engine().reminders.counts(user.username, user.groups)
    counts: ReminderCounts = g.reminder_counts
    return counts


def init_app(app: Flask) -> None:
    """Give every template `reminder_counts()` for the header."""
    app.jinja_env.globals["reminder_counts"] = header_counts


@bp.get("/")
def index() -> str:
    """The reader's near-due and overdue tasks, most overdue first."""
    user = current_user()
    g.reminder_counts = engine().reminders.counts(user.username, user.groups, fresh=True)
    items = engine().reminders.for_user(user.username, user.groups)
    return render_template("reminders/index.html", items=items, now=engine().clock())
