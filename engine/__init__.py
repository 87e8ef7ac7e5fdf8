"""Anjie's workflow engine: SpiffWorkflow underneath, one facade (`Engine`) on top. No Flask here.

Everything `webapp/` and `anjie/` use is exported here; they import nothing else of `engine`.
"""

from .accounts import ROLES, Accounts, UserView
from .calendar import CalendarDay, CalendarYear
from .clock import Clock, FakeClock, system_clock
from .config import Settings
from .deployments import DiagramCheck
from .designs import Designs, diagram_kind
from .diagram_format import format_diagram, same_content
from .errors import (
    AccountError,
    AccountLocked,
    CalendarOverrideInvalid,
    ConcurrentModification,
    DataInvalid,
    DiagramFormatError,
    DiagramInvalid,
    DraftNotFound,
    EngineError,
    InstanceNotFound,
    InstanceNotRunnable,
    LoginFailed,
    MigrationRefused,
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
from .queries import MAX_PAGE, InboxFilter, LedgerFilter, Queries
from .safe_xml import safe_parser
from .scripting import parse_datetime
from .service import Engine
from .states import SYSTEM_ACTOR, EventType, InstanceStatus, MigrationObstacle, TaskState
from .timers import run_scheduler, start_scheduler
from .views import (
    ChainReport,
    DecisionResult,
    Deployment,
    DraftView,
    ElementDiff,
    EventView,
    FormField,
    InstanceView,
    MigrationCheck,
    MigrationProblem,
    ReplayView,
    TaskView,
    TimerView,
    VersionDiff,
    VersionView,
)

__all__ = [
    "MAX_PAGE",
    "ROLES",
    "SYSTEM_ACTOR",
    "AccountError",
    "Accounts",
    "AccountLocked",
    "CalendarDay",
    "CalendarOverrideInvalid",
    "CalendarYear",
    "ChainReport",
    "Clock",
    "ConcurrentModification",
    "DataInvalid",
    "DecisionResult",
    "Deployment",
    "DiagramCheck",
    "DiagramFormatError",
    "DiagramInvalid",
    "DraftNotFound",
    "DraftView",
    "Designs",
    "ElementDiff",
    "Engine",
    "EngineError",
    "EventType",
    "EventView",
    "FakeClock",
    "FormField",
    "InboxFilter",
    "InstanceNotFound",
    "InstanceNotRunnable",
    "InstanceStatus",
    "InstanceView",
    "LedgerFilter",
    "LoginFailed",
    "MigrationCheck",
    "MigrationObstacle",
    "MigrationProblem",
    "MigrationRefused",
    "NotAuthorized",
    "NotCaseLeader",
    "Problem",
    "ProcessNotFound",
    "Queries",
    "ReplayView",
    "Settings",
    "TaskClaimed",
    "TaskNotFound",
    "TaskNotReady",
    "TaskState",
    "TaskView",
    "TimerView",
    "UserExists",
    "UserNotFound",
    "UserView",
    "VersionDiff",
    "VersionView",
    "WeakPassword",
    "diagram_kind",
    "format_diagram",
    "parse_datetime",
    "run_scheduler",
    "safe_parser",
    "same_content",
    "start_scheduler",
    "system_clock",
]
