"""Spans of time as people read them: 2天3小时, 45分钟 (English when chosen)."""

from __future__ import annotations

from flask_babel import gettext as _


def format_duration(seconds: float | None) -> str:
    """Days and hours, hours and minutes, or minutes of a span; — for none."""
    if seconds is None:
        return "—"
    minutes = int(round(seconds / 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(d)sd %(h)sh", d=days, h=hours) if hours else _("%(d)sd", d=days)
    if hours:
        return _("%(h)sh %(m)smin", h=hours, m=mins) if mins else _("%(h)sh", h=hours)
    return _("%(m)smin", m=mins)
