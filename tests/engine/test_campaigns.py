"""engine/campaigns.py: a campaign started with the office's own phases and targets, cases joining
it from the list of running campaigns, and its targets against the actual figures."""

from __future__ import annotations

from datetime import date

import pytest

from engine import CampaignExists, CampaignNotFound, DataInvalid, EventType, FakeClock, FormInvalid, NewCampaign
from tests.conftest import DIAGRAMS, PROCESSES, EngineWith
from tests.engine.test_rates import HAND_CASE, record, start


def three_phases(name: str = "2026年信访积案化解专项行动") -> NewCampaign:
    return NewCampaign(
        name=name, unit="恒口示范区", phase_names=["认定交办", "处理化解", "审理结案"],
        phase_last_days=[date(2026, 3, 15), date(2026, 6, 30), date(2026, 7, 31)],
        targets={"closed_rate": 95, "resolve_rate": 90}, kind_targets=[("collective", "resolve_rate", 80)])


def test_a_three_phase_campaign_starts_with_its_windows(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with(PROCESSES / "backlog_campaign.bpmn", HAND_CASE)
    campaign = engine.campaigns.start(three_phases(), actor="coordinator")
    assert campaign.name == "2026年信访积案化解专项行动" and campaign.unit == "恒口示范区" and campaign.running
    assert [(p.name, p.first_day, p.last_day) for p in campaign.phases] == [
        ("认定交办", date(2026, 3, 2), date(2026, 3, 15)),
        ("处理化解", date(2026, 3, 16), date(2026, 6, 30)),
        ("审理结案", date(2026, 7, 1), date(2026, 7, 31))]
    assert campaign.current_phase == "认定交办" and campaign.phases[0].current
    assert campaign.targets == {"closed_rate": 95.0, "resolve_rate": 90.0}
    assert campaign.kind_targets == [("collective", "resolve_rate", 80.0)]
    assert [c.campaign_id for c in engine.campaigns.find()] == [campaign.campaign_id]
    clock.set(clock().replace(month=4))
    assert engine.campaigns.get(campaign.campaign_id).current_phase == "处理化解"
    with pytest.raises(CampaignExists):
        engine.campaigns.start(three_phases(), actor="coordinator")


def test_a_campaign_needs_three_or_four_ordered_phases() -> None:
    with pytest.raises(DataInvalid):
        NewCampaign("x", "u", ["a", "b"], [date(2026, 1, 1), date(2026, 2, 1)]).start_data()
    with pytest.raises(DataInvalid):
        NewCampaign("x", "u", ["a", "b", "c"], [date(2026, 3, 1), date(2026, 2, 1), date(2026, 4, 1)]).start_data()
    with pytest.raises(DataInvalid):
        NewCampaign(" ", "u", ["a", "b", "c"], [date(2026, 1, 1), date(2026, 2, 1), date(2026, 4, 1)]).start_data()


def test_a_case_joins_a_running_campaign_and_is_counted(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with(PROCESSES / "backlog_campaign.bpmn", HAND_CASE)
    campaign = engine.campaigns.start(three_phases(), actor="coordinator")
    case = start(engine, collective_petition=True)
    with pytest.raises(CampaignNotFound):
        engine.campaigns.join(case, "no such campaign", actor="coordinator")
    joined = engine.campaigns.join(case, campaign.campaign_id, actor="coordinator")
    assert joined.data["campaign_id"] == campaign.campaign_id
    (event,) = [e for e in engine.history(case) if e.type == EventType.CAMPAIGN_JOINED]
    assert event.actor == "coordinator" and event.changes["campaign_id"] == (None, campaign.campaign_id)
    # The steps still to come carry it: completing the next task keeps the case in the campaign.
    record(engine, case, case_closed_at=clock().isoformat())
    assert engine.instance(case).data["campaign_id"] == campaign.campaign_id
    assert engine.verify_history(case).ok
    checks = engine.campaigns.target_checks(campaign)
    assert [(c.rate, c.kind, c.target, c.actual.numerator, c.actual.denominator, c.met) for c in checks] == [
        ("closed_rate", None, 95.0, 1, 1, True), ("resolve_rate", None, 90.0, 1, 1, True),
        ("resolve_rate", "collective", 80.0, 1, 1, True)]
    figures = engine.campaigns.figures(campaign.campaign_id)
    assert figures.total == 1 and figures.weekly[0].closed == 1


def test_a_campaign_field_takes_only_a_running_campaign(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with(PROCESSES / "backlog_campaign.bpmn", DIAGRAMS / "forms" / "campaign_field.bpmn")
    campaign = engine.campaigns.start(three_phases(), actor="coordinator")
    (task,) = engine.start("campaign_field", {}, actor="clerk").tasks
    for wrong in ("不存在的行动", "2026年信访积案化解专项"):
        with pytest.raises(FormInvalid) as info:
            engine.complete(task.id, {"campaign_id": wrong}, actor="coordinator")
        assert info.value.problems["campaign_id"].code == "not_a_campaign"
    done = engine.complete(task.id, {"campaign_id": campaign.campaign_id}, actor="coordinator")
    assert done.data["campaign_id"] == campaign.campaign_id
    assert engine.campaigns.rates(campaign.campaign_id)["closed_rate"].denominator == 1
