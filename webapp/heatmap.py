"""Heatmaps of process versions (`/heatmap/KEY/vN`): per element the instances that passed and the
median and 90th percentile time spent there, drawn on the diagram and as a table, with the
overdue share per task; filtered by campaign and date range. Read-only, for auditors."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, Response, render_template, request, url_for
from flask_babel import gettext as _

from engine import HeatmapFilter, HeatmapView
from webapp import access
from webapp.auth import require
from webapp.cases import xml_download
from webapp.durations import format_duration
from webapp.i18n import DISPLAY_ZONE
from webapp.labels import element_names
from webapp.services import engine

bp = Blueprint("heatmap", __name__, url_prefix="/heatmap")
#: Colour steps of the heat, from the quickest to the slowest element.
LEVELS = 5


@bp.get("/")
@require(access.AUDIT)
def index() -> str:
    """Every deployed process version, each with a link to its heatmap."""
    versions = sorted((d for d in engine().deployments() if d.kind == "bpmn"),
                      key=lambda d: (d.process_key, -d.version))
    return render_template("heatmap/index.html", versions=versions)


def _day(field: str, errors: dict[str, str]) -> date | None:
    raw = request.args.get(field, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[field] = _("Enter a date as YYYY-MM-DD.")
        return None


def _filter(errors: dict[str, str]) -> HeatmapFilter:
    """The filter of the query string: a campaign, and whole days (Beijing time) from and to."""
    since, until = _day("since", errors), _day("until", errors)
    if since and until and until < since:
        errors["until"] = _("The end date is before the start date.")
    start = datetime.combine(since, time(), DISPLAY_ZONE) if since else None
    end = datetime.combine(until + timedelta(days=1), time(), DISPLAY_ZONE) if until else None
    return HeatmapFilter(campaign_id=request.args.get("campaign") or None, since=start, until=end)


def overlay(heat: HeatmapView) -> dict[str, dict[str, Any]]:
    """What the diagram shows per element: counts, times, and a heat level by median time: 1-5
    from quick to slow, 0 passed through in no time, None while no visit has ended."""
    slowest = max((h.median_seconds or 0.0 for h in heat.elements), default=0.0)
    return {h.element_id: {
        "instances": h.instances, "open": h.open_visits,
        "median": format_duration(h.median_seconds), "p90": format_duration(h.p90_seconds),
        "level": None if h.median_seconds is None
        else math.ceil(LEVELS * h.median_seconds / slowest) if slowest else 0,
    } for h in heat.elements}


@bp.get("/<process_key>/v<int:version>")
@require(access.AUDIT)
def show(process_key: str, version: int) -> tuple[str, int]:
    """The heatmap of one process version under the filter of the query string."""
    xml = engine().diagram_xml(process_key, version)  # 404 for a version never deployed
    errors: dict[str, str] = {}
    flt = _filter(errors)
    heat = None if errors else engine().stats.heatmap(process_key, version, flt)
    # The campaigns to choose from, also when the dates were wrong (the filter is not applied then).
    campaigns = (heat or engine().stats.heatmap(process_key, version)).campaigns
    return render_template(
        "heatmap/show.html", process_key=process_key, version=version, heat=heat, errors=errors,
        names=element_names(xml), campaigns=campaigns, values=request.args,
        overlay=overlay(heat) if heat else {},
        xml_url=url_for("heatmap.diagram", process_key=process_key, version=version),
    ), 400 if errors else 200


@bp.get("/<process_key>/v<int:version>/diagram.xml")
@require(access.AUDIT)
def diagram(process_key: str, version: int) -> Response:
    """The diagram of the version, for the heatmap's viewer."""
    return xml_download(engine().diagram_xml(process_key, version), process_key)
