"""Who may do what: the access rules of the web app and the API, as plain functions of roles.

The engine does not check roles; every route asks these functions first.
"""

from __future__ import annotations

from collections.abc import Iterable

# The one list of roles is the engine's; re-exported here for the routes that offer them.
from engine import ROLES as ROLES

#: Roles that read every case, task and history (auditors change nothing).
READ_ALL = frozenset({"coordinator", "supervisor", "leading_group", "auditor", "admin"})
#: Roles that see the ledger (台账).
LEDGER = READ_ALL | {"intake_clerk", "case_leader"}
#: Roles that register new cases (start processes).
START = frozenset({"intake_clerk", "coordinator"})
#: Roles that see the deployed diagrams; only designers deploy.
SEE_DEPLOYMENTS = frozenset({"designer", "auditor", "coordinator", "admin"})
DEPLOY = frozenset({"designer"})
#: Roles that draw and check diagrams in the designer and move running instances to another version.
DESIGN = frozenset({"designer"})
MIGRATE = frozenset({"designer"})
#: Roles that reassign tasks and cancel cases.
COORDINATE = frozenset({"coordinator"})
#: Roles that retry a case stopped by an incident.
RETRY = frozenset({"coordinator", "designer"})
#: Only admins manage users.
MANAGE_USERS = frozenset({"admin"})


def has_any(groups: Iterable[str], allowed: frozenset[str]) -> bool:
    """True if any of the user's groups is one of the allowed roles."""
    return any(g in allowed for g in groups)


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
