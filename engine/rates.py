"""Every rate a campaign is judged by (办结率, 化解率, 息访率), defined once, counted in SQL.

The offices judge a campaign by its numbers (seed 003: "县交办的信访积案 x% 办结", "新增信访积案化解率
达到 90%"; seed 004: "化解率达到 98.2%", "息诉罢访 10 件，程序性办结 5 件"). Each rate here has one
numerator, one denominator and one date it counts on; processes/GLOSSARY.md says the same in
Chinese. All three share the denominator:

- **Denominator (counted cases)**: the petition cases (every process but the campaign itself) of
  the campaign (or of the whole office), registered on or before `as_of`, except matters the rates
  leave out: not accepted (不予受理), already final when registered (终结事项), litigation-related
  (涉法涉诉, handled by 诉访分离). No such case: the denominator is 0 and the value is None, never 0%.
- **办结率 closed_rate**: cases closed on or before `as_of` — signed off and closed (结案), settled
  on the spot (当场办结), or closed by procedure (程序性办结). Counts on the data's case_closed_at.
- **化解率 resolve_rate**: cases closed on or before `as_of` other than by procedure. A case closed by
  procedure was handled lawfully but the petitioner stayed unsatisfied: it is 办结 but not 化解
  (seed 004 counts the two apart), and stays so unless it is reopened and closed again the
  ordinary way. Counts on case_closed_at.
- **息访率 petitioning_stopped_rate**: cases whose petitioner was recorded as having stopped
  petitioning (息诉罢访, the satisfaction step's petitioning_stopped) on or before `as_of`. Counts on
  when that was recorded.

Reopened cases (a repeat petition after closing, or a review that revoked the reply): from the
moment of reopening the case counts as neither closed, resolved nor stopped, until it is closed
(or stopped) again, and then from that new date. An `as_of` before the reopening still sees it
closed; the ledger keeps only a case's last closing, so an `as_of` before that still sees it open.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.engine import Engine as SqlEngine
from sqlalchemy.orm import Session

from .chain import utc
from .models import Instance

#: The campaign process: its instance is the campaign, not one of its cases.
CAMPAIGN_PROCESS = "backlog_campaign"


@dataclass(frozen=True)
class Rate:
    """One rate's count: `value` is numerator / denominator (0 to 1), None when there is no case."""

    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return None if self.denominator == 0 else self.numerator / self.denominator

    @property
    def percent(self) -> float | None:
        """The value in per cent, rounded to one decimal as the offices report it (98.2%)."""
        return None if self.value is None else round(self.value * 100, 1)


@dataclass(frozen=True)
class RateDefinition:
    """What one rate counts, in words: numerator, denominator, the date it counts on, labels."""

    name: str
    label: str  # Chinese, as reports and the dashboard show it
    label_en: str
    numerator: str
    denominator: str
    counts_on: str
    #: The campaign start-data key holding the target in per cent (processes/backlog_campaign.bpmn).
    target_key: str


DENOMINATOR = ("counted cases: petition cases registered on or before the day, except not accepted, "
               "already final and litigation-related matters")

RATES: dict[str, RateDefinition] = {
    "closed_rate": RateDefinition(
        "closed_rate", "办结率", "Closed rate",
        "cases closed on or before the day: signed off, settled on the spot, or closed by procedure",
        DENOMINATOR, "case_closed_at (the closing)", "target_closed_rate"),
    "resolve_rate": RateDefinition(
        "resolve_rate", "化解率", "Resolve rate",
        "cases closed on or before the day other than by procedure (程序性办结 is not 化解)",
        DENOMINATOR, "case_closed_at (the closing)", "target_resolve_rate"),
    "petitioning_stopped_rate": RateDefinition(
        "petitioning_stopped_rate", "息访率", "Petitioning-stopped rate",
        "cases whose petitioner was recorded as having stopped petitioning (petitioning_stopped)",
        DENOMINATOR, "when petitioning_stopped was recorded", "target_petitioning_stopped_rate"),
}


#: Kinds a per-kind target can name (集体访 80% / 个访 90% / 越级访 100%; 存量 100% / 新增 90%).
#: 存量 and 新增 are told apart by the campaign's start: registered before it, or from it on.
KINDS: dict[str, tuple[str, str]] = {
    "collective": ("集体访", "Collective petitions"),
    "individual": ("个访", "Individual petitions"),
    "escalated": ("越级访（到省、进京）", "Escalated petitions (province, Beijing)"),
    "stock": ("存量", "Existing backlog"),
    "new": ("新增", "New cases"),
}


def case_conditions(campaign_id: str | None, as_of: datetime) -> list[ColumnElement[bool]]:
    """The denominator's conditions: counted petition cases registered by `as_of`."""
    # `counted` is False for the campaigns' own instances too (engine/case_columns.py).
    conditions: list[ColumnElement[bool]] = [Instance.counted.is_(True), Instance.started_at <= as_of]
    if campaign_id:
        conditions.append(Instance.campaign_id == campaign_id)
    return conditions


def kind_condition(kind: str, campaign_started: datetime | None) -> ColumnElement[bool]:
    """The cases of one kind in KINDS (a KeyError for any other name)."""
    if kind not in KINDS:
        raise KeyError(kind)
    if kind in ("stock", "new"):
        if campaign_started is None:
            # Office-wide there is no campaign start: every case is stock, none new.
            return Instance.id.is_not(None) if kind == "stock" else Instance.id.is_(None)
        return Instance.started_at < campaign_started if kind == "stock" else Instance.started_at >= campaign_started
    flag: ColumnElement[bool] = Instance.data[
        "escalated_petition" if kind == "escalated" else "collective_petition"].as_boolean()
    if kind == "individual":
        return or_(flag.is_(None), flag.is_(False))
    return flag.is_(True)


def held_on(moment: Any, as_of: datetime) -> ColumnElement[bool]:
    """True for a case whose `moment` (closing or stop) happened by `as_of` and was not undone by
    a reopening after it and by `as_of`."""
    held: ColumnElement[bool] = and_(moment.is_not(None), moment <= as_of, or_(
        Instance.reopened_at.is_(None), Instance.reopened_at <= moment, Instance.reopened_at > as_of))
    return held


def numerators(as_of: datetime) -> dict[str, ColumnElement[bool]]:
    """Each rate's numerator as a condition on a counted case."""
    closed = held_on(Instance.closed_at, as_of)
    return {
        "closed_rate": closed,
        "resolve_rate": and_(closed, Instance.closed_by_procedure.is_(False)),
        "petitioning_stopped_rate": held_on(Instance.stopped_at, as_of),
    }


def rate_counts(session: Session | Connection, conditions: list[ColumnElement[bool]],
                as_of: datetime) -> dict[str, Rate]:
    """All the rates over the cases matching `conditions`, in one statement."""
    parts = numerators(as_of)
    row = session.execute(select(func.count(), *[func.count(case((cond, 1))) for cond in parts.values()])
                          .select_from(Instance).where(*conditions)).one()
    total = int(row[0] or 0)
    return {name: Rate(int(row[i + 1] or 0), total) for i, name in enumerate(parts)}


def campaign_rates(session_or_engine: Session | Connection | SqlEngine | Any, campaign_id: str | None,
                   as_of: datetime, *, kind: str | None = None) -> dict[str, Rate]:
    """Every rate in RATES for one campaign (`campaign_id`) or the whole office (None) as it stood
    at `as_of`; with `kind`, over the cases of that kind only (see KINDS).

    `session_or_engine` is a SQLAlchemy Session or Connection, a SQLAlchemy Engine, or the
    product's `Engine` (anything with a `sessionmaker`)."""
    as_of = utc(as_of)
    with session_for(session_or_engine) as session:
        conditions = case_conditions(campaign_id, as_of)
        if kind is not None:
            conditions.append(kind_condition(kind, campaign_start(session, campaign_id)))
        return rate_counts(session, conditions, as_of)


def campaign_start(session: Session | Connection, campaign_id: str | None) -> datetime | None:
    """When the campaign's instance started (None office-wide or for an unknown campaign)."""
    if not campaign_id:
        return None
    started = session.execute(select(func.min(Instance.started_at)).where(
        Instance.process_key == CAMPAIGN_PROCESS, Instance.campaign_id == campaign_id)).scalar()
    return None if started is None else utc(started)


def targets(data: Mapping[str, Any]) -> dict[str, float]:
    """The overall targets (in per cent) a campaign recorded in its data, by rate name."""
    found = {}
    for name, definition in RATES.items():
        value = _percent(data.get(definition.target_key))
        if value is not None:
            found[name] = value
    return found


def kind_targets(data: Mapping[str, Any]) -> list[tuple[str, str, float]]:
    """The per-kind targets a campaign recorded (`kind_targets`: a list of {kind, rate, percent}),
    as (kind, rate name, per cent) for known kinds and rates, in the order recorded."""
    raw = data.get("kind_targets")
    found: list[tuple[str, str, float]] = []
    if not isinstance(raw, list):
        return found
    for item in raw:
        if not isinstance(item, dict):
            continue
        kind, rate, value = item.get("kind"), item.get("rate"), _percent(item.get("percent"))
        if kind in KINDS and rate in RATES and value is not None:
            found.append((str(kind), str(rate), value))
    return found


def _percent(value: Any) -> float | None:
    if isinstance(value, bool) or value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if 0 <= number <= 100 else None


class session_for:
    """`with session_for(source) as session`: the caller's session or connection when given one,
    else a new session (of a SQLAlchemy Engine or the product's Engine), closed after."""

    def __init__(self, source: Any) -> None:
        self._source = source
        self._owned: Session | None = None

    def __enter__(self) -> Session | Connection:
        source = self._source
        if isinstance(source, Session | Connection):
            return source
        if isinstance(source, SqlEngine):
            self._owned = Session(source)
        else:
            maker: Callable[[], Session] = source.sessionmaker
            self._owned = maker()
        return self._owned

    def __exit__(self, *exc: object) -> None:
        if self._owned is not None:
            self._owned.close()
