"""What a weekly bulletin or monthly report says, computed from the cases of one campaign.

Pure reads at one moment: overdue and near-due cases by case leader, the cases named for
supervision, progress since the previous report, and seed 003's statistics table (统计表: the
cases by 组织人事 / 民生 / 其它遗留 with how many are closed, resolved, stopped petitioning,
still being resolved and overdue). The result is plain JSON, kept with the report, so a report
says forever what the data said when it was generated.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from .clock import aware
from .ledger_export import flags_of, status_of
from .models import HumanTask, Instance
from .queries import CAMPAIGN_PROCESS, LEADER_FIELD
from .rates import RATES, campaign_rates, numerators
from .states import TaskState

#: The three kinds of problem of seed 003's 统计表 and the subjects each takes. The table counts
#: the rates' cases (engine/rates.py): not accepted, already final and litigation-related matters
#: (涉法涉诉, handled by 诉访分离) stay out of it.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "organisation_personnel": ("organisation_personnel",),
    "livelihood": ("land_acquisition", "demolition", "labour_social_security", "environment",
                   "education_health", "property_management", "agriculture"),
    "legacy": ("enterprise_restructuring", "other"),
}
#: The columns of the 统计表, in order (each a count, except the rate).
STATISTICS_COLUMNS: tuple[str, ...] = ("cases", "closed", "resolved", "petitioning_stopped", "resolving",
                                       "overdue", "resolve_rate")
#: Counts compared with the previous report ("progress since").
PROGRESS_KEYS: tuple[str, ...] = ("cases", "closed", "resolved", "petitioning_stopped", "overdue", "named")

#: The rates of engine/rates.py for one campaign at one moment, as
#: {name: {"label", "numerator", "denominator", "value"}} (value in per cent, None without cases).
RatesFor = Callable[[Session, str | None, datetime], dict[str, dict[str, Any]]]


def rate_table(session: Session, campaign_id: str | None, as_of: datetime) -> dict[str, dict[str, Any]]:
    """办结率, 化解率, 息访率 of the campaign at `as_of`, as engine/rates.py defines them."""
    rates = campaign_rates(session, campaign_id, as_of)
    return {name: {"label": RATES[name].label, "numerator": r.numerator, "denominator": r.denominator,
                   "value": r.percent} for name, r in rates.items()}


def category_of(subject: Any) -> str | None:
    """The 统计表 row a subject counts in, or None (litigation-related, or no subject)."""
    for category, subjects in CATEGORIES.items():
        if subject in subjects:
            return category
    return None


def report_content(session: Session, campaign_id: str | None, now: datetime, *, near_due: timedelta,
                   previous: Mapping[str, Any] | None, monthly: bool,
                   rates_for: RatesFor = rate_table) -> dict[str, Any]:
    """The figures and lists of a report on the campaign's cases at `now`; `previous` is the
    content of the campaign's previous report of the same kind (None for the first)."""
    held = numerators(now)  # closed, resolved and stopped exactly as the rates count them
    found = session.execute(
        select(Instance, held["closed_rate"], held["resolve_rate"], held["petitioning_stopped_rate"])
        .options(defer(Instance.state))
        .where(Instance.campaign_id == campaign_id, Instance.process_key != CAMPAIGN_PROCESS)
        .order_by(Instance.id)).all()
    cases = [row[0] for row in found]
    ids = [c.id for c in cases]
    ready: dict[int, list[tuple[str, datetime | None]]] = {}
    if ids:
        for instance_id, name, element, due in session.execute(
                select(HumanTask.instance_id, HumanTask.name, HumanTask.element_id, HumanTask.due_at)
                .where(HumanTask.instance_id.in_(ids), HumanTask.state == TaskState.READY)
                .order_by(HumanTask.due_at)):
            ready.setdefault(instance_id, []).append((name or element, aware(due, now)))
    facts = [_facts(c, ready.get(c.id, []), now, near_due, (bool(closed), bool(resolved), bool(stopped)))
             for c, closed, resolved, stopped in found]
    totals = {
        "cases": len(facts),
        "closed": sum(f["closed"] for f in facts),
        "resolved": sum(f["resolved"] for f in facts),
        "petitioning_stopped": sum(f["petitioning_stopped"] for f in facts),
        "overdue": sum(1 for f in facts if f["overdue_task"]),
        "near_due": sum(1 for f in facts if f["near_due_task"] and not f["overdue_task"]),
        "named": sum(f["named"] for f in facts),
    }
    content: dict[str, Any] = {
        "campaign_id": campaign_id,
        "as_of": now.isoformat(),
        "totals": totals,
        "overdue_by_leader": _by_leader([f for f in facts if f["overdue_task"]], "overdue_task"),
        "near_due_by_leader": _by_leader([f for f in facts if f["near_due_task"] and not f["overdue_task"]],
                                         "near_due_task"),
        "named": [_brief(f) for f in facts if f["named"]],
        "progress": _progress(totals, facts, previous),
        "statistics": _statistics(facts),
        "rates": rates_for(session, campaign_id, now),
        "closed_ids": [f["instance_id"] for f in facts if f["closed"]],
        "resolved_ids": [f["instance_id"] for f in facts if f["resolved"]],
    }
    if monthly:  # the 统计表's case list, kept as 动态管理 (办理情况 updated every month)
        content["cases"] = [_brief(f) | {"subject": f["subject"], "category": f["category"],
                                         "handling_class": f["handling_class"],
                                         "handling_deadline": f["handling_deadline"],
                                         "situation": f["situation"], "status": f["status"]}
                            for f in facts]
    return content


def _facts(inst: Instance, ready: list[tuple[str, datetime | None]], now: datetime,
           near_due: timedelta, held: tuple[bool, bool, bool]) -> dict[str, Any]:
    data = inst.data or {}
    status = status_of(inst.status, data)
    closed, resolved, stopped = held
    overdue = next(((n, d) for n, d in ready if d is not None and d < now), None)
    near = next(((n, d) for n, d in ready if d is not None and now <= d < now + near_due), None)
    return {
        "instance_id": inst.id, "business_key": inst.business_key or str(inst.id),
        "title": data.get("title") or data.get("demand"), "petitioner_names": data.get("petitioner_names"),
        "leader": data.get(LEADER_FIELD), "handler": data.get("case_handler"),
        "risk_colour": inst.risk_colour, "case_class": inst.case_class,
        "subject": data.get("subject"), "category": category_of(data.get("subject")),
        "flags": flags_of(data, inst.final_petitions or 0),
        "handling_class": data.get("handling_class"), "handling_deadline": _day(data.get("handling_deadline")),
        "situation": "、".join(n for n, _ in ready), "status": status,
        "closed": closed, "resolved": resolved, "petitioning_stopped": stopped,
        "named": data.get("named_in_bulletin") is True, "counted": inst.counted is not False,
        "overdue_task": overdue, "near_due_task": near, "now": now,
    }


def _brief(f: Mapping[str, Any]) -> dict[str, Any]:
    return {k: f[k] for k in ("instance_id", "business_key", "title", "petitioner_names", "leader",
                              "handler", "risk_colour", "case_class")}


def _by_leader(facts: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """Cases grouped by case leader (no leader yet last), each with its earliest late/near task."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for f in facts:
        name, due = f[key]
        days = (f["now"] - due).days if key == "overdue_task" else (due - f["now"]).days
        groups.setdefault(f["leader"] or "", []).append(
            _brief(f) | {"task": name, "due_at": due.isoformat(), "days": days})
    order = sorted(groups, key=lambda leader: (leader == "", -len(groups[leader]), leader))
    return [{"leader": leader or None, "count": len(groups[leader]),
             "cases": sorted(groups[leader], key=lambda c: c["due_at"])} for leader in order]


def _progress(totals: Mapping[str, int], facts: list[dict[str, Any]],
              previous: Mapping[str, Any] | None) -> dict[str, Any]:
    """What changed since the previous report: each count then and now, and the cases newly
    closed and newly resolved."""
    before = (previous or {}).get("totals") or {}
    closed_before = set((previous or {}).get("closed_ids") or [])
    resolved_before = set((previous or {}).get("resolved_ids") or [])
    return {
        "previous_as_of": (previous or {}).get("as_of"),
        "counts": {k: {"before": before.get(k) if previous else None, "now": totals[k],
                       "change": totals[k] - int(before.get(k) or 0) if previous else None}
                   for k in PROGRESS_KEYS},
        "newly_closed": [_brief(f) for f in facts if f["closed"] and f["instance_id"] not in closed_before],
        "newly_resolved": [_brief(f) for f in facts
                           if f["resolved"] and f["instance_id"] not in resolved_before],
    }


def _statistics(facts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for category in (*CATEGORIES, "total"):
        group = [f for f in facts if f["counted"] and (category == "total" or f["category"] == category)]
        counts = {
            "category": category,
            "cases": len(group),
            "closed": sum(f["closed"] for f in group),
            "resolved": sum(f["resolved"] for f in group),
            "petitioning_stopped": sum(f["petitioning_stopped"] for f in group),
            "resolving": sum(1 for f in group if not f["closed"]),
            "overdue": sum(1 for f in group if f["overdue_task"]),
        }
        counts["resolve_rate"] = round(100 * counts["resolved"] / counts["cases"], 1) if group else None
        rows.append(counts)
    return rows


def _day(value: Any) -> str | None:
    return str(value)[:10] if value else None
