"""Readable names for a case page: element names and data labels, read from the diagram."""

from __future__ import annotations

from functools import lru_cache

from flask import g
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from lxml import etree

from engine import (
    EventType,
    InstanceStatus,
    MigrationObstacle,
    MigrationProblem,
    Problem,
    TaskState,
    describe_problem,
    safe_parser,
)
from webapp.services import engine

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


#: What people read for each history event type; every type has a label (a test checks).
EVENT_LABELS = {
    EventType.INSTANCE_STARTED: lazy_gettext("Case started"),
    EventType.INSTANCE_COMPLETED: lazy_gettext("Case closed"),
    EventType.INSTANCE_CANCELLED: lazy_gettext("Case cancelled"),
    EventType.INSTANCE_RETRIED: lazy_gettext("Case retried"),
    EventType.INSTANCE_SUSPENDED: lazy_gettext("Case suspended"),
    EventType.INSTANCE_RESUMED: lazy_gettext("Case resumed"),
    EventType.INCIDENT_RAISED: lazy_gettext("Error"),
    EventType.TASK_READY: lazy_gettext("Task opened"),
    EventType.TASK_CLAIMED: lazy_gettext("Task claimed"),
    EventType.TASK_UNCLAIMED: lazy_gettext("Task given back"),
    EventType.TASK_ASSIGNED: lazy_gettext("Task assigned"),
    EventType.TASK_COMPLETED: lazy_gettext("Task completed"),
    EventType.TASK_CANCELLED: lazy_gettext("Task cancelled"),
    EventType.TASK_DUE_CHANGED: lazy_gettext("Due date changed"),
    EventType.TIMER_WAITING: lazy_gettext("Deadline set"),
    EventType.TIMER_FIRED: lazy_gettext("Deadline reached"),
    EventType.ELEMENT_STARTED: lazy_gettext("Step started"),
    EventType.ELEMENT_WAITING: lazy_gettext("Waiting"),
    EventType.ELEMENT_COMPLETED: lazy_gettext("Step done"),
    EventType.ELEMENT_CANCELLED: lazy_gettext("Step cancelled"),
    EventType.EVENT_UNHANDLED: lazy_gettext("Signal nobody waited for"),
    EventType.ATTACHMENT_ADDED: lazy_gettext("File attached"),
    EventType.EXTERNAL_TASK_LOCKED: lazy_gettext("Service task taken by a worker"),
    EventType.EXTERNAL_TASK_LOCK_EXTENDED: lazy_gettext("Worker asked for more time"),
    EventType.EXTERNAL_TASK_COMPLETED: lazy_gettext("Service task done by a worker"),
    EventType.EXTERNAL_TASK_FAILED: lazy_gettext("Service task failed"),
    EventType.MESSAGE_CORRELATED: lazy_gettext("Message received"),
    EventType.INSTANCE_MIGRATED: lazy_gettext("Moved to another version"),
    EventType.INSTANCE_IMPORTED: lazy_gettext("Registered from an imported ledger"),
    EventType.CAMPAIGN_JOINED: lazy_gettext("Joined a campaign"),
}


#: What people read for each instance status and task state.
STATUS_LABELS = {
    InstanceStatus.RUNNING: lazy_gettext("Running"),
    InstanceStatus.WAITING: lazy_gettext("Waiting"),
    InstanceStatus.COMPLETED: lazy_gettext("Completed"),
    InstanceStatus.CANCELLED: lazy_gettext("Cancelled"),
    InstanceStatus.ERROR: lazy_gettext("Stopped by an error"),
    InstanceStatus.SUSPENDED: lazy_gettext("Suspended"),
    TaskState.READY: lazy_gettext("Ready"),
}


#: Every role (group) of engine.ROLES, as the office calls it.
ROLE_LABELS = {
    "intake_clerk": lazy_gettext("Intake clerk"),
    "coordinator": lazy_gettext("Coordinator"),
    "case_leader": lazy_gettext("Case leader"),
    "case_handler": lazy_gettext("Case handler"),
    "supervisor": lazy_gettext("Supervisor"),
    "leading_group": lazy_gettext("Leading group"),
    "designer": lazy_gettext("Process designer"),
    "auditor": lazy_gettext("Auditor"),
    "admin": lazy_gettext("Administrator"),
    "service_worker": lazy_gettext("Service worker (program)"),
}


def role_label(role: str) -> str:
    """The name of a role (group) people read (the id itself for a group this version does not know)."""
    label = ROLE_LABELS.get(role)
    return str(label) if label is not None else role


def role_labels(roles: list[str]) -> str:
    """Several roles, named and joined the Chinese way."""
    return "、".join(role_label(r) for r in roles)


def status_label(value: str) -> str:
    """The label of an instance status or task state (the value itself when unknown)."""
    label = STATUS_LABELS.get(value)
    return str(label) if label is not None else value


def event_label(event_type: str) -> str:
    """The label of a history event type (the type itself for one this version does not know)."""
    label = EVENT_LABELS.get(EventType.from_stored(event_type))
    return str(label) if label is not None else event_type


@lru_cache(maxsize=32)
def element_names(xml: bytes) -> dict[str, str]:
    """Element id → name, read from the diagram, for a readable timeline."""
    try:
        root = etree.fromstring(xml, parser=safe_parser())
    except etree.XMLSyntaxError:
        return {}
    return {el.get("id"): el.get("name") for el in root.iter()
            if isinstance(el.tag, str) and el.get("id") and el.get("name")}


def return_reasons(xml: bytes, element_id: str) -> list[str]:
    """The names of the gateway flows that lead into `element_id`: why a task was sent back."""
    try:
        root = etree.fromstring(xml, parser=safe_parser())
    except etree.XMLSyntaxError:
        return []
    gateways = {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.tag.endswith("Gateway")}
    return [flow.get("name") for flow in root.iter(f"{{{BPMN_NS}}}sequenceFlow")
            if flow.get("targetRef") == element_id and flow.get("sourceRef") in gateways and flow.get("name")]


#: What the shipped diagrams' scripts compute (deadlines, counters), as people read them: the
#: keys no form declares. A test walks every demo case and fails on a key without a label.
COMPUTED_LABELS = {
    "accept_deadline": lazy_gettext("Acceptance deadline"),
    "accept_reminder_at": lazy_gettext("Acceptance reminder"),
    "accept_escalation_at": lazy_gettext("Acceptance escalated to the leading group at"),
    "closed_by_procedure": lazy_gettext("Closed by procedure (程序性办结)"),
    "extension_refused_reason": lazy_gettext("Why the extension was refused"),
    "final_petition_count": lazy_gettext("Petitions on the matter after it became final"),
    "final_petition_reason": lazy_gettext("Why a later petition was not accepted"),
    "handling_overdue": lazy_gettext("Handling deadline passed"),
    "leader_reassigned_count": lazy_gettext("Times the case leader was changed"),
    "not_accepted_as_final": lazy_gettext("Not accepted: the matter is final"),
    "overdue_escalation_at": lazy_gettext("Overdue case escalated at"),
    "re_rating_count": lazy_gettext("Times colour and class were re-rated"),
    "review_revoked_count": lazy_gettext("Times a review revoked the answer"),
    "review_revoked_pending": lazy_gettext("Revoked by review, to be handled again at sign-off"),
    "settled_on_the_spot": lazy_gettext("Settled on the spot (当场办结)"),
    "handling_track_deadline": lazy_gettext("Completion limit of the track"),
    "accepted_at": lazy_gettext("Accepted on"),
    "case_closed_at": lazy_gettext("Closed on"),
    "days": lazy_gettext("Time limit (days)"),
    "dossier_missing": lazy_gettext("Missing dossier items"),
    "extended_deadline": lazy_gettext("Extended deadline"),
    "extended_warning_at": lazy_gettext("Extended deadline warning"),
    "extension_count": lazy_gettext("Extensions granted"),
    "extension_request_count": lazy_gettext("Extension requests"),
    "feedback_deadline": lazy_gettext("Feedback deadline"),
    "field_work_deadline": lazy_gettext("Look, listen, ask deadline"),
    "follow_up_done": lazy_gettext("Follow-up visits done"),
    "handling_deadline": lazy_gettext("Handling deadline"),
    "handling_warning_at": lazy_gettext("Handling deadline warning"),
    "inquiry_deadline": lazy_gettext("Inquiry deadline"),
    "leader_days": lazy_gettext("Leader follow-up interval (days)"),
    "leader_follow_up_done": lazy_gettext("Leader follow-up visits done"),
    "leader_times": lazy_gettext("Leader follow-up visits planned"),
    "next_follow_up_at": lazy_gettext("Next follow-up visit"),
    "next_leader_follow_up_at": lazy_gettext("Next leader follow-up visit"),
    "not_closed_count": lazy_gettext("Times sent back at sign-off"),
    "plan_deadline": lazy_gettext("Plan deadline"),
    "present": lazy_gettext("Basic case materials present"),
    "reopened_count": lazy_gettext("Times reopened"),
    "reply_deadline": lazy_gettext("Reply deadline"),
    "review_request_deadline": lazy_gettext("Review request deadline"),
    # The stages' outcomes, on which the petition path's top level routes the case on.
    "register_outcome": lazy_gettext("Outcome of registration and acceptance"),
    "closing_outcome": lazy_gettext("Outcome of closing and acceptance"),
    "follow_up_outcome": lazy_gettext("Outcome of follow-up"),
}
#: What the stage outcomes' stored values mean to people.
COMPUTED_VALUES = {
    "register_outcome": {"accepted": lazy_gettext("Accepted"), "not_accepted": lazy_gettext("Not accepted"),
                         "final_matter": lazy_gettext("Final matter, not accepted again"),
                         "settled_on_the_spot": lazy_gettext("Settled on the spot")},
    "closing_outcome": {"closed": lazy_gettext("Closed"), "return_to_inquiry": lazy_gettext("Back to the inquiry"),
                        "return_to_resolve": lazy_gettext("Back to handling"),
                        "return_to_reply": lazy_gettext("Back to the reply"),
                        "rehandle": lazy_gettext("Revoked: handled again")},
    "follow_up_outcome": {"done": lazy_gettext("Follow-up finished"),
                          "reopen": lazy_gettext("Reopened as a backlog case"),
                          "rehandle": lazy_gettext("Revoked: handled again")},
}


def computed_label(key: str) -> str:
    """The label of a key a script computed (the key itself for one this version does not know)."""
    label = COMPUTED_LABELS.get(key)
    return str(label) if label is not None else key


def data_labels(xml: bytes) -> dict[str, str]:
    """Case data key → label people read: the diagram's form labels, then the common keys."""
    labels = {
        "title": _("Title"), "risk_colour": _("Risk colour"), "case_class": _("Class"),
        "campaign_id": _("Campaign"), "case_leader": _("Case leader"),
        "case_handler": _("Case handler"), "petitioner_names": _("Petitioner"),
        "demand": _("Demand"),
    }
    for key, label in form_labels(xml):
        labels.setdefault(key, label)
    return labels


@lru_cache(maxsize=32)
def form_labels(xml: bytes) -> tuple[tuple[str, str], ...]:
    """(field id, label) of the diagram's form fields, in order: parsed once per diagram (a
    deployed version never changes), not on every page that shows a case."""
    try:
        root = etree.fromstring(xml, parser=safe_parser())
    except etree.XMLSyntaxError:
        return ()
    return tuple((f.get("id"), f.get("label")) for f in root.iter(f"{{{CAMUNDA_NS}}}formField")
                 if f.get("id") and f.get("label"))


@lru_cache(maxsize=32)
def option_names(xml: bytes) -> dict[str, dict[str, str]]:
    """Field id → {option id → option name}, so a case shows 来访 rather than `visit`."""
    try:
        root = etree.fromstring(xml, parser=safe_parser())
    except etree.XMLSyntaxError:
        return {}
    names: dict[str, dict[str, str]] = {}
    for field in root.iter(f"{{{CAMUNDA_NS}}}formField"):
        for option in field.iter(f"{{{CAMUNDA_NS}}}value"):
            if field.get("id") and option.get("id") and option.get("name"):
                names.setdefault(field.get("id"), {})[option.get("id")] = option.get("name")
    return names


@lru_cache(maxsize=32)
def person_fields(xml: bytes) -> frozenset[str]:
    """The case data keys that hold a user name: the diagram's `user` fields, leader and handler."""
    try:
        root = etree.fromstring(xml, parser=safe_parser())
    except etree.XMLSyntaxError:
        root = None
    declared = {f.get("id") for f in root.iter(f"{{{CAMUNDA_NS}}}formField")
                if f.get("type") == "user" and f.get("id")} if root is not None else set()
    return frozenset(declared | {"case_leader", "case_handler"})


def value_names(xml: bytes) -> dict[str, dict[str, str]]:
    """Field id → {stored value → what people read}: option names (来访, not `visit`), and for
    fields that hold a user name, the person's name."""
    names = {key: {v: str(text) for v, text in values.items()} for key, values in COMPUTED_VALUES.items()}
    names.update(option_names(xml))
    people = people_names()
    for key in person_fields(xml):
        names[key] = {**people, **names.get(key, {})}
    return names


def problem_text(problem: Problem, *, where: bool = True) -> str:
    """Why a diagram was refused, in the user's language (the engine gives a code and details)."""
    return describe_problem(problem, _, where=where)


#: Why a case cannot move to another version (engine MigrationObstacle), as people read it.
MIGRATION_TEXTS = {
    MigrationObstacle.SAME_VERSION: lazy_gettext("The case is on that version already."),
    MigrationObstacle.ENDED: lazy_gettext("The case has ended; there is nothing to move."),
    MigrationObstacle.INCIDENT: lazy_gettext("The case stopped by an error; retry or cancel it first."),
    MigrationObstacle.ELEMENT_CHANGED:
        lazy_gettext("Step %(element)s, where the case is, was changed in the new version."),
    MigrationObstacle.ELEMENT_REMOVED:
        lazy_gettext("Step %(element)s, which the case has reached, is not in the new version."),
    MigrationObstacle.SUBPROCESS_REMOVED: lazy_gettext("A sub-process the case is inside is not in the new version."),
}


def migration_text(problem: MigrationProblem) -> str:
    """Why a case cannot move to a version, in the user's language (the engine's English for a
    reason this version does not know)."""
    known = {str(o) for o in MigrationObstacle}
    text = MIGRATION_TEXTS.get(MigrationObstacle(problem.reason)) if problem.reason in known else None
    return str(text) % {"element": problem.element_id or ""} if text is not None else problem.message


def person_label(username: str | None) -> str:
    """The name people read for a user name (the display name; the user name itself for
    someone without one or unknown). The users are read once per request."""
    if not username:
        return ""
    return people_names().get(username, username)


def people_names() -> dict[str, str]:
    """User name → the name people read, for every user: read once per request, whichever of
    the page's labels asks first."""
    people: dict[str, str] | None = g.get("anjie_people")
    if people is None:
        people = g.anjie_people = {u.username: u.label for u in engine().accounts.users()}
    return people


def process_label(process_key: str, version: int | None = None) -> str:
    """A process as people read it: the diagram's name and the version ("信访事项办理 · 第1版").

    The names are read once per request; a key no deployment names is shown as itself."""
    names: dict[tuple[str, int], str] | None = g.get("anjie_process_names")
    if names is None:
        names = g.anjie_process_names = engine().process_names()
    name = names.get((process_key, version)) if version is not None else None
    if name is None:  # the newest version that names the process
        named = sorted((v, n) for (k, v), n in names.items() if k == process_key)
        name = named[-1][1] if named else process_key
    return _("%(name)s · version %(version)s", name=name, version=version) if version is not None else name
