"""engine/heatmap.py: instances, median and 90th percentile time per element, overdue share per
task, by campaign and date range, from stored history (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine import Engine, FakeClock, HeatmapFilter
from engine.heatmap import percentile
from tests.conftest import DIAGRAMS, EngineWith

SIMPLE = DIAGRAMS / "simple_review.bpmn"
DAY = 86400.0


def _task(engine: Engine, iid: int, element_id: str) -> str:
    return next(t.id for t in engine.tasks(instance_id=iid) if t.element_id == element_id)


def _three_cases(engine: Engine, clock: FakeClock) -> tuple[int, int, int]:
    """A and B (campaign c1) are worked in time; C (campaign c2) starts later and nobody acts."""
    a = engine.start("simple_review", {"handler": "zhang", "campaign_id": "c1"}, actor="clerk").id
    b = engine.start("simple_review", {"handler": "zhang", "campaign_id": "c1"}, actor="clerk").id
    clock.advance(days=1)
    engine.complete(_task(engine, a, "accept_case"), {"accepted": True}, actor="coord")
    clock.advance(days=2)
    engine.complete(_task(engine, b, "accept_case"), {"accepted": True}, actor="coord")
    engine.complete(_task(engine, a, "handle"), {}, actor="zhang")
    clock.advance(days=1)
    engine.complete(_task(engine, b, "handle"), {}, actor="zhang")
    clock.advance(days=6)
    c = engine.start("simple_review", {"handler": "zhang", "campaign_id": "c2"}, actor="clerk").id
    clock.advance(days=16)  # past C's 15-day acceptance limit: the overdue timer fires by itself
    assert engine.fire_due_timers() == 1
    return a, b, c


def test_heatmap_counts_instances_and_time_spent_per_element(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with(SIMPLE)
    _three_cases(engine, clock)
    heat = engine.stats.heatmap("simple_review", 1)
    by = {h.element_id: h for h in heat.elements}
    assert heat.instances == 3 and heat.campaigns == ["c1", "c2"]
    accept = by["accept_case"]
    assert (accept.instances, accept.visits, accept.open_visits) == (3, 3, 1)
    assert accept.median_seconds == 2 * DAY and accept.p90_seconds == pytest.approx(2.8 * DAY)
    handle = by["handle"]
    assert (handle.instances, handle.open_visits) == (2, 0)
    assert handle.median_seconds == 1.5 * DAY and handle.p90_seconds == pytest.approx(1.9 * DAY)
    assert by["accepted_gateway"].median_seconds == 0.0  # passed through in no time
    assert by["escalate"].instances == 1 and by["escalate"].median_seconds is None  # still open
    overdue = {t.element_id: t for t in heat.overdue}
    assert (overdue["accept_case"].with_due, overdue["accept_case"].overdue) == (3, 1)
    assert overdue["accept_case"].share == pytest.approx(1 / 3)


def test_heatmap_filters_by_campaign_and_date_range(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with(SIMPLE)
    a, _b, c = _three_cases(engine, clock)
    c1 = engine.stats.heatmap("simple_review", 1, HeatmapFilter(campaign_id="c1"))
    assert c1.instances == 2
    assert {t.element_id: (t.with_due, t.overdue) for t in c1.overdue}["accept_case"] == (2, 0)
    assert "escalate" not in {h.element_id for h in c1.elements}
    c_started = engine.history(c)[0].at
    late = engine.stats.heatmap("simple_review", 1, HeatmapFilter(since=c_started))
    assert late.instances == 1
    assert {h.element_id for h in late.elements} >= {"accept_case", "escalate", "accept_overdue"}
    early = engine.stats.heatmap("simple_review", 1, HeatmapFilter(until=c_started - timedelta(days=1)))
    assert early.instances == 2 and "escalate" not in {h.element_id for h in early.elements}
    assert engine.stats.heatmap("simple_review", 1, HeatmapFilter(campaign_id="none")).elements == []
    assert engine.stats.heatmap("simple_review", 2).instances == 0
    assert engine.history(a)  # the reads changed nothing
    assert engine.verify_history().ok


def test_percentile_interpolates_between_ranks() -> None:
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.5
    assert percentile([float(n) for n in range(1, 11)], 0.9) == pytest.approx(9.1)
