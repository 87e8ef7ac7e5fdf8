"""The inbox: my tasks and my groups' claimable tasks, most urgent first, filtered and paged."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from engine import InboxFilter, LedgerFilter
from webapp.auth import current_user
from webapp.services import queries

bp = Blueprint("inbox", __name__)

PER_PAGE = 25
COLOURS = ("red", "yellow", "green")


def inbox_filter() -> InboxFilter:
    """The filter the query string asks for; unknown values are ignored."""
    args = request.args
    colour = args.get("colour") or None
    return InboxFilter(
        process_key=args.get("process") or None,
        campaign_id=args.get("campaign") or None,
        risk_colour=colour if colour in COLOURS else None,
        overdue=args.get("overdue") == "1",
        mine_only=args.get("mine") == "1",
    )


@bp.get("/")
def index() -> str:
    """Show the inbox page."""
    user = current_user()
    page = request.args.get("page", 1, type=int) or 1
    result = queries().inbox(user.username, user.groups, inbox_filter(), page=page,
                             per_page=PER_PAGE)
    return render_template("inbox/index.html", result=result, flt=inbox_filter(),
                           choices=queries().choices(), colours=COLOURS)


@bp.get("/my-cases")
def my_cases() -> str:
    """The cases where I hold or held a task, newest first, with where each stands and its
    next deadline."""
    page = request.args.get("page", 1, type=int) or 1
    result = queries().ledger(LedgerFilter(worker=current_user().username), page=page, per_page=PER_PAGE)
    return render_template("inbox/my_cases.html", result=result)
