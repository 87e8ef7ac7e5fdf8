"""Anjie's workflow engine: SpiffWorkflow underneath, one facade (`Engine`) on top. No Flask here.

Everything `webapp/` and `anjie/` use is exported here; they import nothing else of `engine`.
"""

from .accounts import ROLES, UserView
from .calendar import CalendarDay, CalendarYear
from .clock import Clock, FakeClock, system_clock
from .config import Settings
from .errors import (
    AccountError,
    AccountLocked,
    CalendarOverrideInvalid,
    ConcurrentModification,
    DataInvalid,
    DiagramInvalid,
    EngineError,
    InstanceNotFound,
    InstanceNotRunnable,
    LoginFailed,
    NotAuthorized,
    NotCaseLeader,
    Problem,
    ProcessNotFound,
    TaskClaimed,
    TaskNotFound,
    TaskNotReady,
    UserExists,
    UserNotFound,
    WeakPassword,
)
from .queries import MAX_PAGE, InboxFilter, LedgerFilter
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
    "MAX_PAGE",
    "ROLES",
    "AccountError",
    "AccountLocked",
    "CalendarDay",
    "CalendarOverrideInvalid",
    "CalendarYear",
    "ChainReport",
    "Clock",
    "ConcurrentModification",
    "DataInvalid",
    "Deployment",
    "DiagramInvalid",
    "Engine",
    "EngineError",
    "EventView",
    "FakeClock",
    "FormField",
    "InboxFilter",
    "InstanceNotFound",
    "InstanceNotRunnable",
    "InstanceView",
    "LedgerFilter",
    "LoginFailed",
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
    "UserExists",
    "UserNotFound",
    "UserView",
    "WeakPassword",
    "system_clock",
]
