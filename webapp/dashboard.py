"""Dashboards (`/dashboard/` for the office, `/dashboard/<campaign>` for one campaign): the rates,
counts by colour, class, subject, unit, leader and step, overdue and near-due cases and the weekly
trend, each chart drawn with ECharts and also given as a table (the table is the page's truth)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_babel import gettext as _

from engine import KINDS, RATES, EngineError, Figures
from webapp import access
from webapp.auth import require
from webapp.labels import value_names
from webapp.services import engine

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

#: The petition diagram whose value labels (subject codes, colours) the dashboard shows.
PETITION_PROCESS = "petition_case"


def rate_label(name: str) -> str:
    """A rate's name as the offices say it (办结率, 化解率, 息访率)."""
    labels = {"closed_rate": _("Closed rate"), "resolve_rate": _("Resolve rate"),
              "petitioning_stopped_rate": _("Petitioning-stopped rate")}
    return labels.get(name, name)


def kind_label(kind: str | None) -> str:
    """A kind of case a per-kind target names (集体访, 个访, …); "" for an overall target."""
    labels = {"collective": _("Collective petitions"), "individual": _("Individual petitions"),
              "escalated": _("Escalated petitions (province, Beijing)"), "stock": _("Existing backlog"),
              "new": _("New cases")}
    return "" if kind is None else labels.get(kind, kind)


def figures_json(figures: Figures) -> dict[str, Any]:
    """The figures as plain JSON (the API answers this; the page draws its charts from it)."""
    def pairs(rows: list[tuple[str, int]]) -> list[dict[str, Any]]:
        return [{"key": k, "count": n} for k, n in rows]

    def due(items: Any) -> list[dict[str, Any]]:
        return [{"instance_id": d.instance_id, "business_key": d.business_key, "title": d.title,
                 "case_leader": d.case_leader, "risk_colour": d.risk_colour, "task": d.task_name,
                 "due_at": d.due_at.isoformat(), "days": d.days} for d in items]

    return {
        "campaign_id": figures.campaign_id, "as_of": figures.as_of.isoformat(), "total": figures.total,
        "rates": {name: {"numerator": r.numerator, "denominator": r.denominator, "value": r.value,
                         "percent": r.percent} for name, r in figures.rates.items()},
        "by_colour": pairs(figures.by_colour), "by_class": pairs(figures.by_class),
        "by_subject": pairs(figures.by_subject), "by_unit": pairs(figures.by_unit),
        "by_leader": pairs(figures.by_leader), "by_phase": pairs(figures.by_phase),
        "overdue_count": figures.overdue_count, "near_due_count": figures.near_due_count,
        "overdue": due(figures.overdue), "near_due": due(figures.near_due),
        "weekly": [{"week": w.week, "starts": w.starts.isoformat(), "registered": w.registered,
                    "closed": w.closed, "resolved": w.resolved} for w in figures.weekly],
    }


def _value_labels() -> dict[str, dict[str, str]]:
    """Chinese labels of coded values (subjects, colours) from the petition diagram, if deployed."""
    try:
        return value_names(engine().diagram_xml(PETITION_PROCESS))
    except EngineError:  # no petition diagram deployed: the codes are shown
        return {}


def render_dashboard(figures: Figures, title: str, campaign: Any = None) -> str:
    """The dashboard page of these figures."""
    options = _value_labels()
    labels = {"subject": options.get("subject", {}), "risk_colour": options.get("risk_colour", {})}
    data = figures_json(figures)
    charts = {
        **data,
        "labels": {"registered": _("Registered"), "closed": _("Closed"), "resolved": _("Resolved"),
                   "cases": _("Cases"), "none": _("(none)")},
        "rate_bars": [{"name": rate_label(n), "percent": r["percent"]} for n, r in data["rates"].items()],
    }
    return render_template("dashboard/show.html", figures=figures, title=title, campaign=campaign,
                           charts=charts, labels=labels, rate_label=rate_label, kind_label=kind_label,
                           rates=RATES, kinds=KINDS)


@bp.get("/")
@require(access.DASHBOARD)
def office() -> str:
    """The whole office's dashboard."""
    return render_dashboard(engine().campaigns.figures(None), _("The office as a whole"))


@bp.get("/<path:campaign_id>")
@require(access.DASHBOARD)
def campaign(campaign_id: str) -> str:
    """One campaign's dashboard (404 for an unknown campaign)."""
    found = engine().campaigns.get(campaign_id)
    return render_dashboard(engine().campaigns.figures(campaign_id), found.name, found)
