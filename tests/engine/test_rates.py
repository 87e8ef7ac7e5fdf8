"""engine/rates.py: every rate against cases built by hand, with the edge cases the offices meet
(no cases, reopened cases, 程序性办结, matters the rates leave out), on both databases."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine import Engine, FakeClock
from engine.rates import RATES, Rate, campaign_rates, kind_targets, targets
from tests.conftest import DIAGRAMS, EngineWith

HAND_CASE = DIAGRAMS / "hand_case.bpmn"


def start(engine: Engine, **data: Any) -> int:
    """A case registered now with `data` (the petition path's data names)."""
    return engine.start("hand_case", {"finished": False, **data}, actor="clerk").id


def record(engine: Engine, case_id: int, **data: Any) -> None:
    """The case's ready task completed with `data`, as a step of the petition path would write it."""
    (task,) = engine.tasks(instance_id=case_id)
    engine.complete(task.id, data, actor="coordinator")


def counts(rates: dict[str, Rate]) -> dict[str, tuple[int, int]]:
    return {name: (r.numerator, r.denominator) for name, r in rates.items()}


def test_no_cases_gives_no_value_not_zero(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with(HAND_CASE)
    rates = campaign_rates(engine, None, clock())
    assert set(rates) == set(RATES)
    assert all(r.denominator == 0 and r.value is None and r.percent is None for r in rates.values())
    start(engine, campaign_id="other")
    assert campaign_rates(engine, "c1", clock())["closed_rate"].value is None


def test_closed_resolved_and_stopped_over_counted_cases(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with(HAND_CASE)
    ordinary = start(engine, campaign_id="c1")
    procedural = start(engine, campaign_id="c1")
    start(engine, campaign_id="c1")  # still being handled
    start(engine, campaign_id="c1", accept_decision="not_accepted")  # left out of every rate
    start(engine, campaign_id="c1", subject="litigation")  # 涉法涉诉: left out
    start(engine, campaign_id="c1", matter_already_final=True)  # 终结事项: left out
    start(engine, campaign_id="c2")  # another campaign
    clock.advance(days=10)
    record(engine, ordinary, case_closed_at=clock().isoformat(), petitioning_stopped=True)
    record(engine, procedural, case_closed_at=clock().isoformat(), closed_by_procedure=True)
    rates = campaign_rates(engine, "c1", clock())
    assert counts(rates) == {"closed_rate": (2, 3), "resolve_rate": (1, 3), "petitioning_stopped_rate": (1, 3)}
    assert rates["closed_rate"].percent == 66.7
    office = campaign_rates(engine, None, clock())
    assert counts(office)["closed_rate"] == (2, 4)
    # As the day before the closings, nothing was closed yet.
    earlier = campaign_rates(engine, "c1", clock() - timedelta(days=1))
    assert counts(earlier) == {"closed_rate": (0, 3), "resolve_rate": (0, 3), "petitioning_stopped_rate": (0, 3)}
    # As of before any registration, there is no case at all.
    assert campaign_rates(engine, "c1", clock() - timedelta(days=11))["resolve_rate"].value is None


def test_a_reopened_case_counts_open_from_its_reopening(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with(HAND_CASE)
    case = start(engine, reopened_count=0)
    start(engine)
    clock.advance(days=20)
    closed_on = clock()
    record(engine, case, case_closed_at=closed_on.isoformat(), petitioning_stopped=True)
    clock.advance(days=30)
    reopened_on = clock()
    # A repeat petition: the path's reopen step adds one to reopened_count (case_closed_at stays).
    record(engine, case, reopened_count=1, petitioning_stopped=False)
    now = counts(campaign_rates(engine, None, clock()))
    assert now == {"closed_rate": (0, 2), "resolve_rate": (0, 2), "petitioning_stopped_rate": (0, 2)}
    before = counts(campaign_rates(engine, None, reopened_on - timedelta(days=1)))
    assert before == {"closed_rate": (1, 2), "resolve_rate": (1, 2), "petitioning_stopped_rate": (1, 2)}
    # Closed again the ordinary way: counted from the new closing.
    clock.advance(days=15)
    record(engine, case, case_closed_at=clock().isoformat())
    assert counts(campaign_rates(engine, None, clock()))["resolve_rate"] == (1, 2)
    assert counts(campaign_rates(engine, None, clock() - timedelta(days=1)))["resolve_rate"] == (0, 2)
    # The stop was undone by the reopening and not recorded again.
    assert counts(campaign_rates(engine, None, clock()))["petitioning_stopped_rate"] == (0, 2)


def test_a_stop_recorded_while_open_counts_without_closing(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with(HAND_CASE)
    case = start(engine)
    record(engine, case, petitioning_stopped=True)
    assert counts(campaign_rates(engine, None, clock())) == {
        "closed_rate": (0, 1), "resolve_rate": (0, 1), "petitioning_stopped_rate": (1, 1)}


def test_rates_by_kind(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with(HAND_CASE)
    stock = start(engine, campaign_id="c1", collective_petition=True)
    clock.advance(days=1)
    # The campaign itself: its start tells stock (存量) from new (新增) cases.
    start(engine, campaign_id="c1")
    _make_campaign(engine, "c1")
    clock.advance(days=1)
    start(engine, campaign_id="c1", escalated_petition=True)
    start(engine, campaign_id="c1")
    record(engine, stock, case_closed_at=clock().isoformat())
    by_kind = {kind: counts(campaign_rates(engine, "c1", clock(), kind=kind))["closed_rate"]
               for kind in ("collective", "individual", "escalated", "stock", "new")}
    assert by_kind == {"collective": (1, 1), "individual": (0, 2), "escalated": (0, 1), "stock": (1, 1),
                       "new": (0, 2)}
    with pytest.raises(KeyError):
        campaign_rates(engine, "c1", clock(), kind="nonsense")


def _make_campaign(engine: Engine, campaign_id: str) -> None:
    """Mark the last started hand case as campaign `campaign_id`'s own instance (its process key,
    and not counted, as the recorder stores a campaign)."""
    from sqlalchemy import select, update

    from engine.models import Instance

    with engine.sessionmaker() as s, s.begin():
        last = s.scalar(select(Instance.id).order_by(Instance.id.desc()).limit(1))
        s.execute(update(Instance).where(Instance.id == last).values(process_key="backlog_campaign", counted=False))


def test_targets_read_from_the_campaign_data() -> None:
    data = {"target_resolve_rate": 90, "target_petitioning_stopped_rate": "85", "target_closed_rate": None,
            "kind_targets": [{"kind": "collective", "rate": "resolve_rate", "percent": 80},
                             {"kind": "individual", "rate": "petitioning_stopped_rate", "percent": 90},
                             {"kind": "bogus", "rate": "resolve_rate", "percent": 10},
                             {"kind": "new", "rate": "resolve_rate", "percent": 120}]}
    assert targets(data) == {"resolve_rate": 90.0, "petitioning_stopped_rate": 85.0}
    assert kind_targets(data) == [("collective", "resolve_rate", 80.0),
                                  ("individual", "petitioning_stopped_rate", 90.0)]
