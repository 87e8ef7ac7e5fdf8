"""Languages: Chinese (zh_CN) first, English selectable; the choice is kept in the session."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, abort, redirect, request, session, url_for
from flask_babel import Babel, gettext
from werkzeug.wrappers import Response

bp = Blueprint("i18n", __name__)

LANGUAGES = {"zh_CN": "中文", "en": "English"}
DEFAULT = "zh_CN"
DISPLAY_ZONE = ZoneInfo("Asia/Shanghai")


def select_locale() -> str:
    """The language the user picked, else Chinese."""
    lang = session.get("lang")
    return lang if lang in LANGUAGES else DEFAULT


def init_app(app: Flask) -> None:
    """Install Flask-Babel and the date filters."""
    Babel(app, locale_selector=select_locale)
    app.jinja_env.filters["when"] = format_when
    app.jinja_env.filters["day"] = format_day
    app.jinja_env.filters["datum"] = format_value
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["current_language"] = select_locale


def format_when(value: datetime | None, *, seconds: bool = False) -> str:
    """A timestamp as people in China read it: 2025-04-16 09:30 (Beijing time), with seconds
    when asked."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    return value.astimezone(DISPLAY_ZONE).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def format_value(value: object) -> str:
    """A case data value as people read it: 是/否, Beijing time for timestamps, — for nothing."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, str) and len(value) > 10 and value[4:5] == "-" and value[10:11] == "T":
        try:
            return format_when(datetime.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, list):
        return "、".join(format_value(v) for v in value)
    return str(value)


def format_day(value: datetime | None) -> str:
    """Just the date of a timestamp, in Beijing time."""
    return format_when(value)[:10]


@bp.post("/lang/<code>")
def choose(code: str) -> Response:
    """Switch the interface language and go back where the user was."""
    if code not in LANGUAGES:
        abort(404)
    session["lang"] = code
    target = request.form.get("next") or url_for("inbox.index")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("inbox.index")
    return redirect(target)
