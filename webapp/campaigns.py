"""Campaigns (专项行动) in the browser: the list, starting one with the office's own phases,
windows and targets, the campaign page (current phase, each target against the actual figure),
and putting a case in a running campaign chosen from a list."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from engine import (
    KINDS,
    RATES,
    CampaignExists,
    CampaignNotFound,
    DataInvalid,
    InstanceStatus,
    InstanceView,
    NewCampaign,
)
from webapp import access
from webapp.auth import current_user, require
from webapp.dashboard import kind_label, rate_label
from webapp.services import engine

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")

#: The campaign process (its instances are the campaigns) and the statuses cases may join in.
CAMPAIGN_PROCESS = "backlog_campaign"
RUNNING_STATUSES = (InstanceStatus.RUNNING, InstanceStatus.WAITING)
#: Phase rows on the form: three or four are filled in (the fourth left empty for three phases).
PHASE_ROWS = 4
#: Per-kind target rows on the form (集体访 80%, 个访 90%, …); empty rows are ignored.
KIND_ROWS = 3


@bp.get("/")
@require(access.DASHBOARD)
def index() -> str:
    """Every campaign, newest first, with its current phase."""
    return render_template("campaigns/index.html", campaigns=engine().campaigns.find(running_only=False),
                           may_start=access.has_any(current_user().groups, access.START_CAMPAIGN))


def _percent(form: MultiDict[str, str], field: str, errors: dict[str, str]) -> float | None:
    raw = form.get(field, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 100:
        errors[field] = _("Enter a percentage from 0 to 100.")
        return None
    return value


def read_form(form: MultiDict[str, str]) -> tuple[NewCampaign | None, dict[str, str]]:
    """The campaign the form describes, or None with the problems by field name."""
    errors: dict[str, str] = {}
    name = form.get("name", "").strip()
    if not name:
        errors["name"] = _("A campaign needs a name.")
    names: list[str] = []
    days: list[date] = []
    for i in range(1, PHASE_ROWS + 1):
        phase, raw = form.get(f"phase_{i}_name", "").strip(), form.get(f"phase_{i}_ends", "").strip()
        if not phase and not raw:
            continue
        if not phase:
            errors[f"phase_{i}_name"] = _("Name this phase.")
        try:
            days.append(date.fromisoformat(raw))
        except ValueError:
            errors[f"phase_{i}_ends"] = _("Enter the phase's last day as YYYY-MM-DD.")
        names.append(phase)
    if len(names) not in (3, 4) and "phases" not in errors:
        errors["phases"] = _("A campaign has three or four phases.")
    elif len(days) == len(names) and (days != sorted(days) or len(set(days)) != len(days)):
        errors["phases"] = _("Each phase must end after the one before it.")
    targets = {rate: value for rate in RATES if (value := _percent(form, f"target_{rate}", errors)) is not None}
    kind_targets: list[tuple[str, str, float]] = []
    for i in range(1, KIND_ROWS + 1):
        kind, rate = form.get(f"kind_{i}", ""), form.get(f"kind_{i}_rate", "")
        value = _percent(form, f"kind_{i}_percent", errors)
        if value is None:
            continue
        if kind not in KINDS or rate not in RATES:
            errors[f"kind_{i}"] = _("Choose the kind of case and the rate of this target.")
            continue
        kind_targets.append((kind, rate, value))
    if errors:
        return None, errors
    return NewCampaign(name=name, unit=form.get("unit", ""), phase_names=names, phase_last_days=days,
                       targets=targets, kind_targets=kind_targets), errors


def _render_form(values: MultiDict[str, str] | dict[str, str], errors: dict[str, str], code: int = 200) -> Any:
    return render_template("campaigns/new.html", values=values, errors=errors, phase_rows=PHASE_ROWS,
                           kind_rows=KIND_ROWS, rates=RATES, kinds=KINDS, rate_label=rate_label,
                           kind_label=kind_label), code


@bp.route("/new", methods=["GET", "POST"])
@require(access.START_CAMPAIGN)
def new() -> Any:
    """The form that starts a campaign (GET), and starting it (POST)."""
    if request.method == "GET":
        return _render_form({"unit": current_user().unit or ""}, {})
    campaign, errors = read_form(request.form)
    if campaign is None:
        return _render_form(request.form, errors, 400)
    try:
        started = engine().campaigns.start(campaign, actor=current_user().username)
    except CampaignExists:
        return _render_form(request.form, {"name": _("A campaign with this name exists already.")}, 409)
    except DataInvalid as exc:
        return _render_form(request.form, {exc.field or "name": str(exc)}, 400)
    flash(_("Campaign %(name)s started.", name=started.name), "info")
    return redirect(url_for("campaigns.show", campaign_id=started.campaign_id))


@bp.get("/<path:campaign_id>")
@require(access.DASHBOARD)
def show(campaign_id: str) -> str:
    """The campaign page: its current phase with its dates, and each target against the actual figure."""
    campaign = engine().campaigns.get(campaign_id)
    checks = engine().campaigns.target_checks(campaign)
    current = next((p for p in campaign.phases if p.current), None)
    return render_template("campaigns/show.html", campaign=campaign, checks=checks, current=current,
                           rate_label=rate_label, kind_label=kind_label,
                           rates=engine().campaigns.rates(campaign.campaign_id))


@bp.post("/join")
@require(access.JOIN_CAMPAIGN)
def join() -> Any:
    """Put one case (from its page) or several (chosen on the ledger) in the running campaign
    chosen from the list."""
    ids = [i for i in request.form.getlist("instance_id", type=int) if 0 < i < 2**31]
    campaign_id = request.form.get("campaign_id", "")
    from_ledger = request.form.get("back") == "ledger"
    back = url_for("ledger.index") if from_ledger or len(ids) != 1 else url_for("cases.show", instance_id=ids[0])
    if not ids or not campaign_id:
        flash(_("Choose the cases and a campaign."), "error")
        return redirect(back)
    try:
        name = engine().campaigns.get(campaign_id, running_only=True).name
        for instance_id in ids:
            engine().campaigns.join(instance_id, campaign_id, actor=current_user().username)
    except CampaignNotFound:
        flash(_("That campaign is not running; choose one of the running campaigns."), "error")
        return redirect(back)
    flash(_("%(n)s cases joined %(name)s.", n=len(ids), name=name), "info")
    return redirect(back)


def running_campaigns() -> list[tuple[str, str]]:
    """(campaign id, name) of every running campaign, for the selects that offer them."""
    return [(c.campaign_id, c.name) for c in engine().campaigns.find()]


def may_join(instance: InstanceView) -> bool:
    """The current user may put this case in a campaign: a running case (not a campaign), coordinators."""
    return (instance.process_key != CAMPAIGN_PROCESS and instance.status in RUNNING_STATUSES
            and access.has_any(current_user().groups, access.JOIN_CAMPAIGN))
