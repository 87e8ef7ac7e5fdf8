"""engine/campaign_phases.py: the phase a campaign is in, from its recorded windows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.campaign_phases import current_phase

WINDOWS = {"phase_windows": [["动员部署", "2026-03-15T10:00:00+00:00"], ["集中化解", "2026-05-31T10:00:00+00:00"]]}


@pytest.mark.sqlite_only
@pytest.mark.parametrize(("now", "phase"), [
    (datetime(2026, 3, 1, tzinfo=UTC), "动员部署"),
    (datetime(2026, 3, 15, 10, tzinfo=UTC), "集中化解"),  # a window ends at its end
    (datetime(2026, 7, 1, tzinfo=UTC), "集中化解"),  # after the last window, still the last phase
])
def test_current_phase(now: datetime, phase: str) -> None:
    assert current_phase(WINDOWS, now) == phase


@pytest.mark.sqlite_only
@pytest.mark.parametrize("data", [{}, {"phase_windows": []}, {"phase_windows": [["x"]]},
                                  {"phase_windows": [["x", "not a date"]]}])
def test_no_or_broken_windows_give_no_phase(data: dict[str, object]) -> None:
    assert current_phase(data, datetime(2026, 3, 1, tzinfo=UTC)) is None
