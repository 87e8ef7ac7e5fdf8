"""engine/figures.py: the dashboard's counts, lists and weekly trend over cases built by hand."""

from __future__ import annotations

from datetime import timedelta

from engine import FakeClock
from engine.figures import dashboard_figures
from tests.conftest import EngineWith
from tests.engine.test_rates import HAND_CASE, record, start


def test_counts_lists_and_trend_of_one_campaign(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with(HAND_CASE)
    engine.accounts.add_user("handler1", "Handler-pass-1", ["case_handler"], unit="城关镇")
    engine.accounts.add_user("handler2", "Handler-pass-2", ["case_handler"], unit="恒口镇")
    monday = clock()
    late = start(engine, campaign_id="c1", risk_colour="red", case_class="C", subject="land", title="征地补偿",
                 case_leader="lead1", case_handler="handler1", work_due=(monday + timedelta(days=2)).isoformat())
    soon = start(engine, campaign_id="c1", risk_colour="red", case_class="B", subject="land",
                 case_leader="lead2", case_handler="handler2", work_due=(monday + timedelta(days=9)).isoformat())
    done = start(engine, campaign_id="c1", risk_colour="green", case_class="B", subject="labour",
                 case_leader="lead1", case_handler="handler1", work_due=(monday + timedelta(days=1)).isoformat())
    start(engine, campaign_id="c1", accept_decision="not_accepted", risk_colour="red")  # not counted
    start(engine, campaign_id="c2", risk_colour="yellow")
    clock.advance(days=7)  # the next ISO week
    record(engine, done, case_closed_at=clock().isoformat(), case_class="A", finished=True)
    procedural = start(engine, campaign_id="c1", risk_colour="yellow", subject="labour", case_leader="lead2")
    record(engine, procedural, case_closed_at=clock().isoformat(), closed_by_procedure=True)

    figures = dashboard_figures(engine, "c1", clock(), since=monday)
    assert figures.total == 4
    assert (figures.rates["closed_rate"].numerator, figures.rates["resolve_rate"].numerator) == (2, 1)
    assert figures.by_colour == [("red", 2), ("green", 1), ("yellow", 1)]
    assert dict(figures.by_class) == {"A": 1, "B": 1, "C": 1, "": 1}
    assert figures.by_subject == [("labour", 2), ("land", 2)]
    assert figures.by_leader == [("lead1", 2), ("lead2", 2)]
    assert dict(figures.by_unit) == {"城关镇": 2, "恒口镇": 1, "": 1}
    # Cases by the step they stand at: every case with a ready task (the finished one has none).
    assert figures.by_phase == [("办理", 3)]
    # Overdue: the open case due on Wednesday (5 days late); near due within three days: none.
    assert figures.overdue_count == 1
    (item,) = figures.overdue
    assert (item.instance_id, item.title, item.case_leader, item.task_name) == (late, "征地补偿", "lead1", "办理")
    assert item.days == 5
    assert figures.near_due_count == 1 and figures.near_due[0].instance_id == soon
    assert figures.near_due[0].days == 2
    weeks = [(w.week, w.registered, w.closed, w.resolved) for w in figures.weekly]
    assert weeks == [("2026-W10", 3, 0, 0), ("2026-W11", 1, 2, 1)]


def test_office_figures_and_no_cases(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with(HAND_CASE)
    empty = dashboard_figures(engine, None, clock())
    assert empty.total == 0 and empty.rates["closed_rate"].value is None
    assert empty.by_colour == [] and empty.overdue == [] and empty.overdue_count == 0
    assert len(empty.weekly) == 13 and all(w.registered == 0 for w in empty.weekly)
    start(engine, campaign_id="c1", risk_colour="red")
    start(engine, risk_colour="red")
    office = dashboard_figures(engine, None, clock())
    assert office.total == 2 and office.by_colour == [("red", 2)]
    assert office.weekly[-1].registered == 2
