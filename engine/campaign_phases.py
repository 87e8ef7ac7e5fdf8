"""Which phase a campaign is in: read from the phase windows the campaign recorded when it started."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any


def current_phase(data: Mapping[str, Any], now: datetime) -> str | None:
    """The name of the campaign phase `now` falls in (the last one once all have ended), or None
    when the campaign recorded no windows (`phase_windows`: [name, ISO end] pairs, in order)."""
    windows = data.get("phase_windows")
    if not isinstance(windows, list) or not windows:
        return None
    name = None
    for window in windows:
        if not isinstance(window, list | tuple) or len(window) != 2:
            return None
        name, end = str(window[0]), window[1]
        try:
            ends = datetime.fromisoformat(str(end))
        except ValueError:
            return None
        if ends.tzinfo is None and now.tzinfo is not None:
            ends = ends.replace(tzinfo=now.tzinfo)
        if now < ends:
            return name
    return name
