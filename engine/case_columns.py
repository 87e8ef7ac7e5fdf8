"""The columns the rates and figures count on, copied from a case's data at every save.

Rates and dashboards must count 100,000 cases with SQL aggregates on indexed columns, not by
reading each case's JSON data. The recorder calls `copy_case_columns` whenever it stores an
instance; two columns need the previous save to be known:

- `reopened_at`: the data's `reopened_count` only ever grows (the petition diagram's
  reopen_backlog_case and reopen_for_rehandling add one); a save that sees it larger than the
  stored `reopens` is a reopening, and its time is kept.
- `stopped_at`: when `petitioning_stopped` (息访) was recorded true (a change from not true, or
  true on a case with no stop yet). A reopening does not clear it (the rates see that the
  reopening came after); a stop still true in the data after a reopening is not a new stop: only a
  change to true after the reopening is. (The petition diagram's reopen steps should set
  petitioning_stopped = False; until then a re-assessment that keeps it true is not seen.)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .chain import utc
from .models import Instance

#: Case data names read here (processes/GLOSSARY.md).
CLOSED_AT, PROCEDURAL = "case_closed_at", "closed_by_procedure"
REOPENS, STOPPED = "reopened_count", "petitioning_stopped"
CAMPAIGN_PROCESS = "backlog_campaign"
NOT_COUNTED_SUBJECT = "litigation"  # 涉法涉诉: handled by 诉访分离, outside the backlog rates


def copy_case_columns(inst: Instance, data: dict[str, Any], now: datetime,
                      before: dict[str, Any] | None = None) -> None:
    """Set the rate and figure columns of `inst` from the data being stored at `now`; `before`
    is the data as the previous save stored it (None for a new case)."""
    now = utc(now)  # stored in UTC: SQLite keeps no zone, and the rates compare in SQL
    inst.closed_at = _moment(data.get(CLOSED_AT))
    inst.closed_by_procedure = data.get(PROCEDURAL) is True
    reopens = _count(data.get(REOPENS))
    reopening = reopens > (inst.reopens or 0)
    inst.reopens = reopens
    stopped, was_stopped = data.get(STOPPED) is True, (before or {}).get(STOPPED) is True
    undone = inst.stopped_at is not None and inst.reopened_at is not None and inst.reopened_at >= inst.stopped_at
    if reopening:
        # Kept: a day before the reopening still sees the stop (the rates test the reopening).
        inst.reopened_at = now
    elif stopped and (inst.stopped_at is None or (undone and not was_stopped)):
        inst.stopped_at = now
    elif not stopped and not undone:
        inst.stopped_at = None  # recorded, then corrected before any reopening
    # A campaign's own instance is never one of its cases.
    inst.counted = inst.process_key != CAMPAIGN_PROCESS and is_counted(data)
    inst.subject = _text(data.get("subject"), 100)
    inst.case_leader = _text(data.get("case_leader"), 200)
    inst.case_handler = _text(data.get("case_handler"), 200)


def is_counted(data: dict[str, Any]) -> bool:
    """False for matters the rates leave out (besides the campaigns themselves): not accepted
    (不予受理), already final when registered (终结事项不登记), and litigation-related ones (涉法涉诉)."""
    return not (data.get("accept_decision") == "not_accepted" or data.get("matter_already_final") is True
                or data.get("subject") == NOT_COUNTED_SUBJECT)


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return utc(value)
    if not isinstance(value, str) or not value:
        return None
    try:
        return utc(datetime.fromisoformat(value))
    except ValueError:
        return None


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**31 else 0


def _text(value: Any, limit: int) -> str | None:
    if value is None or value == "":
        return None
    return str(value)[:limit]
