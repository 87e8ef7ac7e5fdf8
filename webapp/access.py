"""Who may do what: the access rules of the web app and the API, as plain functions of roles.

The engine does not check roles; every route asks these functions first.
"""

from __future__ import annotations

from collections.abc import Iterable

# The one list of roles is the engine's; re-exported here for the routes that offer them.
from engine import ROLES as ROLES

#: Roles that read every case, its history and attachments (auditors change nothing). Anyone
#: else reads a case only while involved in it (see `may_read_case`). Admins manage accounts,
#: not cases.
READ_ALL = frozenset({"coordinator", "supervisor", "leading_group", "auditor"})
#: Roles that open a case's audit page and the heatmaps (督导检查): the readers of every case and
#: admins; auditors change nothing there or anywhere.
AUDIT = READ_ALL | {"admin"}
#: Roles that see the ledger (台账).
LEDGER = READ_ALL | {"intake_clerk", "case_leader"}
#: Roles that register new cases (start processes).
START = frozenset({"intake_clerk", "coordinator"})
#: Roles that import cases into the ledger from an Excel file (台账导入).
IMPORT_CASES = frozenset({"intake_clerk", "coordinator"})
#: Roles that see the deployed diagrams; only designers deploy.
SEE_DEPLOYMENTS = frozenset({"designer", "auditor", "coordinator", "admin"})
DEPLOY = frozenset({"designer"})
#: Roles that draw and check diagrams in the designer and move running instances to another version.
DESIGN = frozenset({"designer"})
MIGRATE = frozenset({"designer"})
#: Roles that reassign tasks and cancel cases.
COORDINATE = frozenset({"coordinator"})
#: Roles that cancel a case (running, or stopped by an incident).
CANCEL = frozenset({"coordinator", "admin"})
#: Roles that record a repeat petition (重复信访) against a case.
RECORD_REPEAT = frozenset({"intake_clerk"})
#: Roles that retry a case stopped by an incident.
RETRY = frozenset({"coordinator", "designer", "admin"})
#: Outside programs that fetch, lock and complete service tasks (external tasks).
EXTERNAL_WORK = frozenset({"service_worker"})
#: Who may send a message from outside to the case waiting for it (POST /api/v1/messages).
SEND_MESSAGES = EXTERNAL_WORK | {"coordinator"}
#: Who reads the operation log (系统操作日志).
AUDIT_LOG = frozenset({"auditor", "admin"})
#: Who exports case history with its hashes and checkpoints (the roles that read every case).
EXPORT_HISTORY = READ_ALL
#: Reads of a case's personal data by these roles are themselves written in the operation log.
LOGGED_READERS = frozenset({"auditor"})
#: Who reads campaigns and the dashboards (figures of a campaign or the office): the readers
#: of every case and case leaders (judged by the same figures).
DASHBOARD = READ_ALL | {"case_leader"}
#: Who starts a campaign (专项行动) and puts cases in one: the office (信访办 / 综治办).
START_CAMPAIGN = frozenset({"coordinator"})
JOIN_CAMPAIGN = frozenset({"coordinator"})
#: Only admins manage users.
MANAGE_USERS = frozenset({"admin"})
#: Who generates written notices: the roles of the tasks that send one (受理审查 and 当场答复 the
#: clerks, 延期告知 and 答复 the handlers, 复查/复核 the office), and only at such a task they may work.
GENERATE_NOTICES = frozenset({"intake_clerk", "case_handler", "coordinator"})
#: Only admins edit the templates of written notices (告知书, 意见书).
MANAGE_NOTICE_TEMPLATES = frozenset({"admin"})


def has_any(groups: Iterable[str], allowed: frozenset[str]) -> bool:
    """True if any of the user's groups is one of the allowed roles."""
    return any(g in allowed for g in groups)


def may_read_case(groups: Iterable[str], involved: bool) -> bool:
    """The one rule for reading a case, its history and its attachments: the roles of READ_ALL
    read every case; anyone else only a case they are involved in: the case leader it names
    (包案领导, answerable for it from registration on), a user who holds or held one of its
    tasks (assigned or completed), or one to whose group a task is offered unassigned
    (`Queries.involved`). A task assigned to someone else shows nothing to that user's group."""
    return has_any(groups, READ_ALL) or involved


def may_work_task(username: str, groups: Iterable[str], assignee: str | None,
                  candidate_groups: Iterable[str]) -> bool:
    """A ready task may be worked by its assignee, or, while unassigned, by a member of one of
    its candidate groups. Auditors never work tasks."""
    groups = set(groups)
    if "auditor" in groups:
        return False
    if assignee is not None:
        return assignee == username
    return bool(groups & set(candidate_groups))
