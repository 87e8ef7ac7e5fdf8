"""Campaigns (专项行动) as the office sees them: started with their phases, windows and targets,
listed, joined by cases, and judged by their figures.

A campaign is an instance of the `backlog_campaign` process; its `campaign_id` (the name the office
gave it) is what its cases carry in their data. The phases are the office's own: three or four
names, each with the day its window ends (processes/backlog_campaign.bpmn's `phase_names` and
`phase_ends`, which its first script turns into `phase_windows`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from SpiffWorkflow.util.task import TaskState as SpiffState
from sqlalchemy import select

from . import history as hist
from .campaign_phases import current_phase
from .chain import utc
from .errors import CampaignExists, CampaignNotFound, DataInvalid, InstanceNotRunnable
from .figures import Figures, dashboard_figures
from .models import Instance
from .rates import CAMPAIGN_PROCESS, KINDS, RATES, Rate, campaign_rates, kind_targets, targets
from .rows import instance_view
from .states import EventType, InstanceStatus
from .transactions import Transactions
from .views import InstanceView
from .workdays import BEIJING

if TYPE_CHECKING:
    from .instances import Instances

#: Instance statuses of a campaign that cases may still join.
RUNNING = (InstanceStatus.RUNNING, InstanceStatus.WAITING)


@dataclass(frozen=True)
class PhaseWindow:
    """One phase of a campaign: its name and window, the days as the office wrote them."""

    name: str
    first_day: date
    last_day: date
    current: bool = False


@dataclass(frozen=True)
class TargetCheck:
    """One target against the actual figure (`kind` None for an overall target)."""

    rate: str
    kind: str | None
    target: float  # per cent
    actual: Rate

    @property
    def met(self) -> bool | None:
        """True once the actual rate reaches the target; None while no case is counted."""
        return None if self.actual.percent is None else self.actual.percent >= self.target


@dataclass(frozen=True)
class CampaignView:
    """A campaign: its instance, name, unit, phases (with the current one) and targets."""

    instance_id: int
    campaign_id: str
    name: str
    unit: str | None
    status: str
    started_at: datetime
    phases: list[PhaseWindow] = field(default_factory=list)
    current_phase: str | None = None
    targets: dict[str, float] = field(default_factory=dict)
    kind_targets: list[tuple[str, str, float]] = field(default_factory=list)

    @property
    def running(self) -> bool:
        return self.status in RUNNING


@dataclass(frozen=True)
class NewCampaign:
    """What the office decides when it starts a campaign (the start data of backlog_campaign)."""

    name: str
    unit: str
    phase_names: list[str]
    #: The last day of each phase's window, in order (the first phase starts with the campaign).
    phase_last_days: list[date]
    targets: dict[str, float] = field(default_factory=dict)  # rate name → per cent
    kind_targets: list[tuple[str, str, float]] = field(default_factory=list)  # (kind, rate, per cent)

    def start_data(self) -> dict[str, Any]:
        """The campaign process's start data; DataInvalid names what is wrong."""
        name = self.name.strip()
        if not name:
            raise DataInvalid("a campaign needs a name", field="campaign_name")
        if len(self.phase_names) not in (3, 4) or len(self.phase_names) != len(self.phase_last_days):
            raise DataInvalid("a campaign has three or four phases, each with its last day", field="phase_names")
        if any(not n.strip() for n in self.phase_names):
            raise DataInvalid("every phase needs a name", field="phase_names")
        days = list(self.phase_last_days)
        if days != sorted(days) or len(set(days)) != len(days):
            raise DataInvalid("each phase must end after the one before it", field="phase_ends")
        data: dict[str, Any] = {
            "campaign_id": name, "campaign_name": name, "title": name, "campaign_unit": self.unit.strip() or None,
            "phase_names": [n.strip() for n in self.phase_names],
            # A window ends when its last day does, at midnight in Beijing.
            "phase_ends": [window_end(d).isoformat() for d in days],
        }
        for rate, percent in self.targets.items():
            data[RATES[rate].target_key] = percent
        data["kind_targets"] = [{"kind": k, "rate": r, "percent": p} for k, r, p in self.kind_targets
                                if k in KINDS and r in RATES]
        return data


def window_end(last_day: date) -> datetime:
    """The moment a window whose last day is `last_day` ends: the next midnight in Beijing."""
    return datetime.combine(last_day + timedelta(days=1), time(), BEIJING)


def campaign_view(inst: Instance, now: datetime) -> CampaignView:
    """The campaign an instance of backlog_campaign is, read from its data."""
    data = dict(inst.data or {})
    name = str(data.get("campaign_name") or data.get("campaign_id") or inst.campaign_id or inst.id)
    current = current_phase(data, now)
    phases: list[PhaseWindow] = []
    begins = utc(inst.started_at).astimezone(BEIJING).date()
    for window in data.get("phase_windows") or []:
        try:
            ends = datetime.fromisoformat(str(window[1]))
        except (TypeError, ValueError, IndexError):
            break
        ends = ends if ends.tzinfo else ends.replace(tzinfo=BEIJING)
        last = (ends.astimezone(BEIJING) - timedelta(seconds=1)).date()
        phases.append(PhaseWindow(str(window[0]), begins, last, current == str(window[0])))
        begins = last + timedelta(days=1)
    return CampaignView(
        instance_id=inst.id, campaign_id=str(inst.campaign_id or name), name=name,
        unit=data.get("campaign_unit"), status=inst.status, started_at=utc(inst.started_at), phases=phases,
        current_phase=current, targets=targets(data), kind_targets=kind_targets(data))


class Campaigns:
    """Start, list and read campaigns; put cases in them; their figures and target checks."""

    def __init__(self, tx: Transactions, instances: Instances, clock: Callable[[], datetime]) -> None:
        self.tx = tx
        self.instances = instances
        self.clock = clock

    def start(self, campaign: NewCampaign, *, actor: str) -> CampaignView:
        """Start the campaign process with the office's phases, windows and targets."""
        data = campaign.start_data()
        if self._find(data["campaign_id"], running_only=False) is not None:
            raise CampaignExists(data["campaign_id"])
        self.instances.start(CAMPAIGN_PROCESS, data, actor=actor, version=None, business_key=None)
        return self.get(data["campaign_id"])

    def find(self, *, running_only: bool = True) -> list[CampaignView]:
        """Every campaign (or only those still running), newest first."""
        now = self.clock()
        with self.tx.read() as s:
            query = select(Instance).where(Instance.process_key == CAMPAIGN_PROCESS)
            if running_only:
                query = query.where(Instance.status.in_(RUNNING))
            return [campaign_view(i, now) for i in s.scalars(query.order_by(Instance.started_at.desc(),
                                                                             Instance.id.desc()))]

    def get(self, campaign_id: str, *, running_only: bool = False) -> CampaignView:
        """One campaign by its id; CampaignNotFound when there is none."""
        found = self._find(campaign_id, running_only=running_only)
        if found is None:
            raise CampaignNotFound(campaign_id)
        return found

    def _find(self, campaign_id: str, *, running_only: bool) -> CampaignView | None:
        now = self.clock()
        with self.tx.read() as s:
            query = select(Instance).where(Instance.process_key == CAMPAIGN_PROCESS,
                                           Instance.campaign_id == campaign_id)
            if running_only:
                query = query.where(Instance.status.in_(RUNNING))
            inst = s.scalars(query.order_by(Instance.id).limit(1)).first()
            return None if inst is None else campaign_view(inst, now)

    def join(self, instance_id: int, campaign_id: str, *, actor: str) -> InstanceView:
        """Put a running case in a running campaign: its campaign_id changes, in its data and in
        every step still to come, recorded as one campaign_joined event."""
        self.get(campaign_id, running_only=True)
        with self.tx.write() as s:
            inst = self.tx.instance(s, instance_id, lock=True)
            if inst.process_key == CAMPAIGN_PROCESS:
                raise DataInvalid("a campaign cannot join a campaign", field="campaign_id")
            if inst.status not in RUNNING:
                raise InstanceNotRunnable(instance_id, inst.status, "put in a campaign")
            before = (inst.data or {}).get("campaign_id")
            if before == campaign_id:
                return instance_view(s, inst)
            workflow = self.instances.load(s, inst)
            writer = hist.EventWriter(s, inst, self.clock())
            writer.append(EventType.CAMPAIGN_JOINED, actor, detail={"campaign_id": campaign_id, "from": before},
                          changes={"campaign_id": [before, campaign_id]})

            def retag() -> None:
                for task in workflow.get_tasks(state=SpiffState.NOT_FINISHED_MASK):
                    task.data["campaign_id"] = campaign_id

            run = self.instances.run(s, inst, workflow)
            outcome = run.operate(retag)
            outcome.data = {**outcome.data, "campaign_id": campaign_id}
            self.instances.record(s, inst, run, outcome, writer, actor)
            return instance_view(s, inst)

    def rates(self, campaign_id: str | None, as_of: datetime | None = None) -> dict[str, Rate]:
        """The rates of a campaign (None: the office) now or as at `as_of`."""
        with self.tx.read() as s:
            return campaign_rates(s, campaign_id, as_of or self.clock())

    def figures(self, campaign_id: str | None, as_of: datetime | None = None) -> Figures:
        """The dashboard's figures of a campaign (None: the whole office)."""
        since = None
        if campaign_id:
            since = self.get(campaign_id).started_at
        with self.tx.read() as s:
            return dashboard_figures(s, campaign_id, as_of or self.clock(), since=since)

    def target_checks(self, campaign: CampaignView, as_of: datetime | None = None) -> list[TargetCheck]:
        """Each target of the campaign against its actual figure, overall targets first."""
        when = as_of or self.clock()
        with self.tx.read() as s:
            overall = campaign_rates(s, campaign.campaign_id, when)
            checks = [TargetCheck(rate, None, percent, overall[rate]) for rate, percent in campaign.targets.items()]
            for kind, rate, percent in campaign.kind_targets:
                actual = campaign_rates(s, campaign.campaign_id, when, kind=kind)[rate]
                checks.append(TargetCheck(rate, kind, percent, actual))
        return checks
