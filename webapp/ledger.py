"""The ledger (台账): every case with search and filters."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from werkzeug.wrappers import Response

from engine import InstanceStatus, LedgerFilter
from webapp import access, campaigns, ledger_files
from webapp.auth import current_user, require
from webapp.inbox import COLOURS
from webapp.services import queries

bp = Blueprint("ledger", __name__, url_prefix="/ledger")

PER_PAGE = 50
CLASSES = ("A", "B", "C")
STATUSES = (InstanceStatus.RUNNING, InstanceStatus.COMPLETED, InstanceStatus.CANCELLED, InstanceStatus.ERROR)


def ledger_filter() -> LedgerFilter:
    """The filter the query string asks for; unknown values are ignored."""
    args = request.args
    colour = args.get("colour") or None
    cls = args.get("class") or None
    status = args.get("status") or None
    return LedgerFilter(
        text=args.get("q") or None,
        campaign_id=args.get("campaign") or None,
        risk_colour=colour if colour in COLOURS else None,
        case_class=cls if cls in CLASSES else None,
        phase=args.get("phase") or None,
        leader=args.get("leader") or None,
        status=status if status in STATUSES else None,
        overdue=args.get("overdue") == "1",
        final_petitions=args.get("final") == "1",
    )


@bp.get("/")
@require(access.LEDGER)
def index() -> str:
    """The ledger page."""
    page = request.args.get("page", 1, type=int) or 1
    flt = ledger_filter()
    result = queries().ledger(flt, page=page, per_page=PER_PAGE)
    return render_template("ledger/index.html", result=result, flt=flt,
                           choices=queries().choices(), colours=COLOURS, classes=CLASSES,
                           statuses=STATUSES,
                           join_campaigns=campaigns.running_campaigns()
                           if access.has_any(current_user().groups, access.JOIN_CAMPAIGN) else [])


@bp.get("/export.<fmt>")
@require(access.LEDGER)
def export(fmt: str) -> Response:
    """The ledger with the page's filters as .xlsx or CSV (all pages, not only the one shown)."""
    if fmt not in ("xlsx", "csv"):
        abort(404)
    return ledger_files.export_response(ledger_filter(), fmt)
