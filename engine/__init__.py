"""Anjie's workflow engine: SpiffWorkflow underneath, one facade (`Engine`) on top. No Flask here.

Everything `webapp/` and `anjie/` use is exported here; they import nothing else of `engine`.
"""

from .accounts import ROLES, Accounts, TokenView, UserView
from .audit import Audit, AuditError, AuditReport
from .calendar import CalendarDay, CalendarYear
from .campaigns import CampaignView, NewCampaign, PhaseWindow, TargetCheck
from .case_imports import CaseRow, ImportedCase, ImportJobView
from .checkpoints import CheckpointKeyError, keygen
from .clock import Clock, FakeClock, system_clock
from .config import Settings
from .data import has_control_character
from .deadlines import CaseDeadlines, StatutoryClock, TaskDeadline, TimerDeadline
from .deployments import DiagramCheck
from .designs import Designs, diagram_kind
from .diagram_format import format_diagram, same_content
from .errors import (
    AccountError,
    AccountLocked,
    AssignmentRefused,
    BusinessKeyTaken,
    CalendarOverrideInvalid,
    CampaignExists,
    CampaignNotFound,
    ConcurrentModification,
    DataInvalid,
    DiagramFormatError,
    DiagramInvalid,
    DraftNotFound,
    EngineError,
    ExternalTaskNotFound,
    ExternalTaskNotLocked,
    FieldsNotOwned,
    ImportJobNotFound,
    ImportRefused,
    InstanceNotFound,
    InstanceNotRunnable,
    LoginFailed,
    MessageNotCorrelated,
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
from .figures import DueCase, Figures, WeekFigures, dashboard_figures
from .forms import FieldProblem, FormInvalid, initial_value, typed_default
from .heatmap import ElementHeat, HeatmapFilter, HeatmapView, TaskOverdue
from .history import replay_events
from .ledger_export import COLUMNS as EXPORT_COLUMNS
from .ledger_export import ExportRow, LedgerExport, csv_chunks, write_csv, write_xlsx
from .ledger_import import (
    ImportCheck,
    ImportProblem,
    ImportReport,
    case_template,
    check_cases,
    describe_import_problem,
    import_cases,
)
from .notices import KINDS as NOTICE_KINDS
from .notices import NoticeKind, NoticeTemplateInvalid, NoticeTemplates, TemplateView, docx_text
from .operations import Action, OperationFilter, OperationView, acting_as
from .problem_texts import describe as describe_problem
from .queries import MAX_PAGE, InboxFilter, LedgerFilter, Queries
from .rates import KINDS, RATES, Rate, RateDefinition, campaign_rates
from .reminders import ReminderCounts, Reminders, ReminderView
from .report_figures import CATEGORIES as REPORT_CATEGORIES
from .report_figures import STATISTICS_COLUMNS
from .reports import MONTHLY, PUBLISHED, REPORT_TASKS, WEEKLY, Reports, ReportView, task_values
from .safe_xml import safe_parser
from .scripting import parse_datetime
from .service import Engine
from .states import SYSTEM_ACTOR, EventType, InstanceStatus, MigrationObstacle, TaskState
from .stats import StepView
from .timers import run_scheduler, start_scheduler
from .views import (
    AttachmentView,
    ChainReport,
    DecisionResult,
    Deployment,
    DraftView,
    ElementDiff,
    EventView,
    ExternalTaskView,
    FormField,
    InstanceView,
    MigrationCheck,
    MigrationProblem,
    ReplayView,
    TaskDraftView,
    TaskView,
    TimelineView,
    TimerView,
    VersionDiff,
    VersionView,
)

__all__ = [
    "EXPORT_COLUMNS",
    "ExportRow",
    "LedgerExport",
    "csv_chunks",
    "write_csv",
    "write_xlsx",
    "REPORT_CATEGORIES",
    "STATISTICS_COLUMNS",
    "MONTHLY",
    "PUBLISHED",
    "REPORT_TASKS",
    "WEEKLY",
    "Reports",
    "ReportView",
    "task_values",
    "Action",
    "acting_as",
    "CheckpointKeyError",
    "keygen",
    "Audit",
    "AuditError",
    "AuditReport",
    "OperationFilter",
    "OperationView",
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
    "DecisionResult",
    "Deployment",
    "DiagramCheck",
    "DiagramFormatError",
    "DiagramInvalid",
    "DraftNotFound",
    "DraftView",
    "TaskDraftView",
    "Designs",
    "ElementDiff",
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
    "MigrationCheck",
    "MigrationObstacle",
    "MigrationProblem",
    "MigrationRefused",
    "NotAuthorized",
    "NotCaseLeader",
    "Problem",
    "describe_problem",
    "ProcessNotFound",
    "Queries",
    "ReplayView",
    "Settings",
    "TaskClaimed",
    "TaskNotFound",
    "TaskNotReady",
    "TaskState",
    "TaskView",
    "TimelineView",
    "TimerView",
    "TokenView",
    "UserExists",
    "UserNotFound",
    "UserView",
    "VersionDiff",
    "VersionView",
    "WeakPassword",
    "diagram_kind",
    "format_diagram",
    "has_control_character",
    "parse_datetime",
    "run_scheduler",
    "safe_parser",
    "same_content",
    "start_scheduler",
    "system_clock",
    # The auditor's reads (Engine.stats).
    "CaseDeadlines",
    "ElementHeat",
    "HeatmapFilter",
    "HeatmapView",
    "StatutoryClock",
    "StepView",
    "TaskDeadline",
    "TaskOverdue",
    "TimerDeadline",
    # Ledger imports (Excel): the template, the check, the import and its background jobs.
    "BusinessKeyTaken",
    "CaseRow",
    "ImportCheck",
    "ImportJobNotFound",
    "ImportJobView",
    "ImportProblem",
    "ImportRefused",
    "ImportReport",
    "ImportedCase",
    "case_template",
    "check_cases",
    "describe_import_problem",
    "import_cases",
    # Written notices and reminders.
    "NOTICE_KINDS",
    "NoticeKind",
    "NoticeTemplateInvalid",
    "NoticeTemplates",
    "TemplateView",
    "docx_text",
    "ReminderCounts",
    "ReminderView",
    "Reminders",
    # Rates and figures of campaigns and the office (engine/rates.py, engine/figures.py).
    "KINDS",
    "RATES",
    "Rate",
    "RateDefinition",
    "campaign_rates",
    "CampaignView",
    "DueCase",
    "Figures",
    "NewCampaign",
    "PhaseWindow",
    "TargetCheck",
    "WeekFigures",
    "dashboard_figures",
    "CampaignExists",
    "CampaignNotFound",
]
