"""Anjie's workflow engine: SpiffWorkflow underneath, one facade (`Engine`) on top. No Flask here."""

from .clock import FakeClock, system_clock
from .config import Settings
from .errors import (
    ConcurrentModification,
    DataInvalid,
    DiagramInvalid,
    EngineError,
    InstanceNotFound,
    InstanceNotRunnable,
    NotAuthorized,
    NotCaseLeader,
    Problem,
    ProcessNotFound,
    TaskClaimed,
    TaskNotFound,
    TaskNotReady,
)
from .service import Engine
from .views import (
    ChainReport,
    Deployment,
    EventView,
    FormField,
    InstanceView,
    ReplayView,
    TaskView,
    TimerView,
)

__all__ = [
    "ChainReport",
    "ConcurrentModification",
    "DataInvalid",
    "Deployment",
    "DiagramInvalid",
    "Engine",
    "EngineError",
    "EventView",
    "FakeClock",
    "FormField",
    "InstanceNotFound",
    "InstanceNotRunnable",
    "InstanceView",
    "NotAuthorized",
    "NotCaseLeader",
    "Problem",
    "ProcessNotFound",
    "ReplayView",
    "Settings",
    "TaskClaimed",
    "TaskNotFound",
    "TaskNotReady",
    "TaskView",
    "TimerView",
    "system_clock",
]
