"""Anjie's workflow engine: SpiffWorkflow underneath, one facade (`Engine`) on top. No Flask here.

Everything `webapp/` and `anjie/` use is exported here; they import nothing else of `engine`.
"""

from .accounts import ROLES, Accounts, TokenView, UserView
from .calendar import CalendarDay, CalendarYear
from .clock import Clock, FakeClock, system_clock
from .config import Settings
from .data import has_control_character
from .deployments import DiagramCheck
from .diagram_format import format_diagram, same_content
from .errors import (
    AccountError,
    AccountLocked,
    AssignmentRefused,
    CalendarOverrideInvalid,
    ConcurrentModification,
    DataInvalid,
    DiagramFormatError,
    DiagramInvalid,
    EngineError,
    ExternalTaskNotFound,
    ExternalTaskNotLocked,
    FieldsNotOwned,
    InstanceNotFound,
    InstanceNotRunnable,
    LoginFailed,
    MessageNotCorrelated,
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
from .forms import FieldProblem, FormInvalid, initial_value, typed_default
from .history import replay_events
from .queries import MAX_PAGE, InboxFilter, LedgerFilter, Queries
from .safe_xml import safe_parser
from .scripting import parse_datetime
from .service import Engine
from .states import SYSTEM_ACTOR, EventType, InstanceStatus, TaskState
from .timers import run_scheduler, start_scheduler
from .views import (
    AttachmentView,
    ChainReport,
    Deployment,
    EventView,
    ExternalTaskView,
    FormField,
    InstanceView,
    ReplayView,
    TaskView,
    TimerView,
)

__all__ = [
    "MAX_PAGE",
    "ROLES",
    "SYSTEM_ACTOR",
    "AccountError",
    "Accounts",
    "AccountLocked",
    "AssignmentRefused",
    "CalendarDay",
    "CalendarOverrideInvalid",
    "CalendarYear",
    "ChainReport",
    "Clock",
    "ConcurrentModification",
    "DataInvalid",
    "Deployment",
    "DiagramCheck",
    "DiagramFormatError",
    "DiagramInvalid",
    "Engine",
    "replay_events",
    "EngineError",
    "EventType",
    "EventView",
    "ExternalTaskNotFound",
    "ExternalTaskNotLocked",
    "ExternalTaskView",
    "FakeClock",
    "FieldsNotOwned",
    "FormField",
    "FieldProblem",
    "FormInvalid",
    "AttachmentView",
    "initial_value",
    "typed_default",
    "InboxFilter",
    "InstanceNotFound",
    "InstanceNotRunnable",
    "InstanceStatus",
    "InstanceView",
    "MessageNotCorrelated",
    "LedgerFilter",
    "LoginFailed",
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
    "TokenView",
    "UserExists",
    "UserNotFound",
    "UserView",
    "WeakPassword",
    "format_diagram",
    "has_control_character",
    "parse_datetime",
    "run_scheduler",
    "safe_parser",
    "same_content",
    "start_scheduler",
    "system_clock",
]
