"""The OpenAPI 3 document of the JSON API (kept by hand, checked by the tests)."""

from __future__ import annotations

from typing import Any

from engine import MAX_PAGE


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


STR = {"type": "string"}
#: Text the API accepts in parameters and bodies: no control characters but tab and newlines.
TEXT = {"type": "string", "pattern": "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
TIME = {"type": "string", "format": "date-time"}
OBJ = {"type": "object", "additionalProperties": True}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    props = {**required, **(optional or {})}
    return {"type": "object", "required": sorted(required), "properties": props}


SCHEMAS: dict[str, Any] = {
    "Error": _obj({"error": STR, "message": STR, "status": INT}, {
        "field": _nullable(STR), "task_id": STR, "completed_by": _nullable(STR),
        "completed_at": _nullable(STR), "instance_id": INT,
        "problems": {"type": "array", "items": OBJ}, "matches": INT}),
    "Me": _obj({"username": STR, "display_name": _nullable(STR),
                "groups": {"type": "array", "items": STR}}),
    "Deployment": _obj({"process_key": STR, "version": INT, "content_hash": STR, "kind": STR,
                        "name": _nullable(STR), "deployed_at": _nullable(TIME),
                        "deployed_by": _nullable(STR), "change_note": _nullable(STR)}),
    "FormField": _obj({"id": STR, "label": STR, "type": STR, "required": BOOL,
                       "default": _nullable(STR),
                       "options": {"type": "array", "items": {"type": "array", "items": STR}},
                       "properties": {"type": "object", "additionalProperties": STR}}),
    "Task": _obj({
        "id": STR, "instance_id": INT, "process_key": STR, "element_id": STR,
        "name": _nullable(STR), "lane": _nullable(STR), "assignee": _nullable(STR),
        "candidate_groups": {"type": "array", "items": STR}, "due_at": _nullable(TIME),
        "state": STR, "created_at": TIME, "completed_at": _nullable(TIME),
        "completed_by": _nullable(STR), "documentation": _nullable(STR),
        "form": {"type": "array", "items": _ref("FormField")}}, {"form_key": _nullable(STR)}),
    "Instance": _obj({
        "id": INT, "process_key": STR, "version": INT, "status": STR, "data": OBJ,
        "tasks": {"type": "array", "items": _ref("Task")}, "business_key": _nullable(STR),
        "started_at": _nullable(TIME), "started_by": _nullable(STR),
        "ended_at": _nullable(TIME), "incident_element": _nullable(STR),
        "incident_message": _nullable(STR)}),
    "Event": _obj({
        "seq": INT, "type": STR, "element_id": _nullable(STR), "actor": STR, "at": TIME,
        "changes": OBJ, "hash": STR, "task_id": _nullable(STR), "detail": OBJ}),
    "Replay": _obj({
        "instance_id": INT, "step": INT, "data": OBJ,
        **{k: {"type": "array", "items": STR}
           for k in ("completed", "active", "waiting", "cancelled")}}),
    "InboxItem": _obj({
        "task_id": STR, "instance_id": INT, "process_key": STR, "element_id": STR,
        "name": _nullable(STR), "assignee": _nullable(STR),
        "candidate_groups": {"type": "array", "items": STR}, "due_at": _nullable(TIME),
        "created_at": TIME, "business_key": _nullable(STR), "campaign_id": _nullable(STR),
        "risk_colour": _nullable(STR), "case_class": _nullable(STR), "title": _nullable(STR),
        "overdue": BOOL, "near_due": BOOL}),
    "InboxCounts": _obj({k: INT for k in ("total", "mine", "claimable", "overdue",
                                          "near_due")}),
    "Inbox": _obj({"items": {"type": "array", "items": _ref("InboxItem")},
                   "counts": _ref("InboxCounts"), "page": INT, "per_page": INT,
                   "pages": INT}),
    "StartRequest": {**_obj({"process_key": TEXT}, {
        "data": OBJ, "business_key": _nullable(TEXT),
        "version": _nullable({"type": "integer", "minimum": 1, "maximum": 2**31 - 1})})},
    "CompleteRequest": _obj({}, {"data": OBJ}),
    "RepeatPetition": _obj({"data": _obj({"repeat_petition_note": TEXT},
                                         {"repeat_petition_on": {"type": "string", "format": "date"}})}),
}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _ok(description: str, schema: dict[str, Any], code: str = "200") -> dict[str, Any]:
    return {code: {"description": description, **_json(schema)}}


ERRORS = {
    code: {"description": text, **_json(_ref("Error"))}
    for code, text in (("400", "bad request"), ("401", "no valid bearer token"),
                       ("403", "not allowed for this user"), ("404", "not found"),
                       ("409", "conflict: already done or changed meanwhile"),
                       ("413", "request body larger than the limit"))
}
ID_PATH = {"name": "instance_id", "in": "path", "required": True, "schema": INT}
TASK_PATH = {"name": "task_id", "in": "path", "required": True, "schema": TEXT}


def _op(summary: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"summary": summary, "responses": {**responses, **ERRORS}, **extra}


PATHS: dict[str, Any] = {
    "/openapi.json": {"get": _op("This document", _ok("the OpenAPI document", OBJ))},
    "/me": {"get": _op("The token's user", _ok("the user", _ref("Me")))},
    "/deployments": {
        "get": _op("Deployed process versions",
                   _ok("deployments", {"type": "array", "items": _ref("Deployment")})),
        "post": _op("Deploy a BPMN/DMN diagram (designers)",
                    {**_ok("deployed", {"type": "array", "items": _ref("Deployment")}, "201"),
                     "422": {"description": "diagram refused", **_json(_ref("Error"))}},
                    requestBody={"required": True, "content": {
                        "application/xml": {"schema": STR}}}),
    },
    "/instances": {"post": _op(
        "Start a case (intake clerks, coordinators)", _ok("started", _ref("Instance"), "201"),
        requestBody={"required": True, **_json(_ref("StartRequest"))})},
    "/instances/{instance_id}": {"get": _op(
        "One case", _ok("the case", _ref("Instance")), parameters=[ID_PATH])},
    "/instances/{instance_id}/history": {"get": _op(
        "History events, oldest first",
        _ok("events", {"type": "array", "items": _ref("Event")}), parameters=[ID_PATH])},
    "/instances/{instance_id}/repeat-petitions": {"post": _op(
        "Record a repeat petition against a case (intake clerks); a closed case reopens as a backlog case",
        _ok("the case after recording (409: no repeat petition can be recorded at its stage)",
            _ref("Instance"), "201"),
        parameters=[ID_PATH], requestBody={"required": True, **_json(_ref("RepeatPetition"))})},
    "/instances/{instance_id}/replay": {"get": _op(
        "The case as it stood after one history event", _ok("replay", _ref("Replay")),
        parameters=[ID_PATH, {"name": "step", "in": "query", "required": False,
                              "schema": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}}])},
    "/tasks": {"get": _op("My inbox, most urgent first; by instance_id or candidate_group: those ready tasks",
                          _ok("inbox, or the tasks of one case or group",
                              {"oneOf": [_ref("Inbox"), {"type": "array", "items": _ref("Task")}]}),
                          parameters=[
        {"name": "instance_id", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}},
        {"name": "candidate_group", "in": "query", "schema": TEXT},
        {"name": "process", "in": "query", "schema": TEXT},
        {"name": "campaign", "in": "query", "schema": TEXT},
        {"name": "colour", "in": "query", "schema": {"type": "string",
                                                    "enum": ["red", "yellow", "green"]}},
        {"name": "overdue", "in": "query", "schema": {"type": "string", "enum": ["0", "1"]}},
        {"name": "mine", "in": "query", "schema": {"type": "string", "enum": ["0", "1"]}},
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}},
        {"name": "per_page", "in": "query",
         "schema": {"type": "integer", "minimum": 1, "maximum": 200}},
    ])},
    "/tasks/{task_id}": {"get": _op("One task with its form", _ok("the task", _ref("Task")),
                                    parameters=[TASK_PATH])},
    "/tasks/{task_id}/claim": {"post": _op("Claim a task", _ok("the task", _ref("Task")),
                                           parameters=[TASK_PATH])},
    "/tasks/{task_id}/unclaim": {"post": _op("Give a task back", _ok("the task", _ref("Task")),
                                             parameters=[TASK_PATH])},
    "/tasks/{task_id}/complete": {"post": _op(
        "Complete a task", _ok("the case afterwards", _ref("Instance")), parameters=[TASK_PATH],
        requestBody={"required": True, **_json(_ref("CompleteRequest"))})},
}

# The designer's part (webapp/designer_api.py): versions, diffs, moving instances.
SCHEMAS.update({
    "Version": _obj({"process_key": STR, "version": INT, "kind": STR, "name": _nullable(STR),
                     "content_hash": STR, "deployed_at": TIME, "deployed_by": STR,
                     "change_note": _nullable(STR), "running": INT}),
    "ElementDiff": _obj({"element_id": STR, "name": _nullable(STR), "type": _nullable(STR),
                         "changes": {"type": "array", "items": STR}}),
    "VersionDiff": _obj({"process_key": STR, "from_version": INT, "to_version": INT,
                         **{k: {"type": "array", "items": _ref("ElementDiff")}
                            for k in ("added", "removed", "changed")}}),
    "MigrationProblem": _obj({"reason": STR, "message": STR, "element_id": _nullable(STR)}),
    "MigrationCheck": _obj({"instance_id": INT, "process_key": STR, "from_version": INT,
                            "to_version": INT, "ok": BOOL,
                            "problems": {"type": "array", "items": _ref("MigrationProblem")}}),
    "MigrateRequest": _obj({"version": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}),
    "BulkMigrateRequest": _obj({"from_version": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
                                "to_version": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}},
                               {"instance_ids": {"type": "array", "items": {
                                   "type": "integer", "minimum": 1, "maximum": 2**31 - 1}}}),
    "BulkMigrateResult": _obj({"moved": {"type": "array", "items": INT}, "refused": {
        "type": "array", "items": _obj({"instance_id": INT, "problems": {
            "type": "array", "items": _ref("MigrationProblem")}})}}),
})
KEY_PATH = {"name": "key", "in": "path", "required": True, "schema": TEXT}
VERSION = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
PATHS.update({
    "/processes/{key}/versions": {"get": _op(
        "Versions of a process with change notes and running-instance counts",
        _ok("versions, newest first", {"type": "array", "items": _ref("Version")}), parameters=[KEY_PATH])},
    "/processes/{key}/diff": {"get": _op(
        "Elements added, removed and changed between two versions", _ok("the diff", _ref("VersionDiff")),
        parameters=[KEY_PATH, {"name": "from", "in": "query", "required": True, "schema": VERSION},
                    {"name": "to", "in": "query", "required": True, "schema": VERSION}])},
    "/processes/{key}/migrate": {"post": _op(
        "Move every eligible instance of one version to another (designers)",
        _ok("moved and refused instances", _ref("BulkMigrateResult")), parameters=[KEY_PATH],
        requestBody={"required": True, **_json(_ref("BulkMigrateRequest"))})},
    "/instances/{instance_id}/migration": {"get": _op(
        "Can this instance move to a version, and why not", _ok("the check", _ref("MigrationCheck")),
        parameters=[ID_PATH, {"name": "version", "in": "query", "required": True, "schema": VERSION}])},
    "/instances/{instance_id}/migrate": {"post": _op(
        "Move an instance to another version (designers)", _ok("the case afterwards", _ref("Instance")),
        parameters=[ID_PATH], requestBody={"required": True, **_json(_ref("MigrateRequest"))})},
})

DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Anjie (案结) API", "version": "1.0.0",
             "description": "Petition backlog campaigns run as BPMN processes. Send "
                            "`Authorization: Bearer <token>` (anjie token create USER)."},
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "paths": PATHS,
    "components": {"schemas": SCHEMAS,
                   "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
}

# -- external tasks (webapp/external_api.py), for accounts with the service_worker role --------
SCHEMAS.update({
    "ExternalTask": _obj({
        "id": STR, "instance_id": INT, "element_id": STR, "topic": STR, "data": OBJ,
        "retries": _nullable(INT), "locked_until": _nullable(TIME)},
        {"worker_id": _nullable(STR), "error_message": _nullable(STR)}),
    "FetchAndLockRequest": _obj({"worker_id": TEXT, "topics": {"type": "array", "items": TEXT, "minItems": 1}},
                                {"max_tasks": {"type": "integer", "minimum": 1, "maximum": 100},
                                 "lock_seconds": {"type": "integer", "minimum": 1, "maximum": 86400}}),
    "ExternalCompleteRequest": _obj({"worker_id": TEXT}, {"data": OBJ}),
    "ExternalFailureRequest": _obj({"worker_id": TEXT, "message": TEXT, "retries": {"type": "integer", "minimum": 0}},
                                   {"retry_in_seconds": {"type": "integer", "minimum": 0, "maximum": 86400}}),
    "ExtendLockRequest": _obj({"worker_id": TEXT, "seconds": {"type": "integer", "minimum": 1, "maximum": 86400}}),
    "ReasonRequest": _obj({"reason": TEXT}),
    "CompletedTaskData": _obj({"task_id": STR, "completed_by": _nullable(STR), "completed_at": _nullable(TIME),
                               "data": OBJ}),
    "MessageRequest": _obj({"name": TEXT}, {"business_key": _nullable(TEXT), "correlation": OBJ, "data": OBJ}),
})
EXTERNAL_PATH = {"name": "task_id", "in": "path", "required": True, "schema": TEXT}


def _worker_op(summary: str, answer: dict[str, Any], request: str, **extra: Any) -> dict[str, Any]:
    return {"post": _op(summary, answer, requestBody={"required": True, **_json(_ref(request))}, **extra)}


PATHS.update({
    "/external-tasks/fetch-and-lock": _worker_op(
        "Lock free service tasks of some topics for a worker",
        _ok("the locked tasks", {"type": "array", "items": _ref("ExternalTask")}), "FetchAndLockRequest"),
    "/external-tasks/{task_id}/complete": _worker_op(
        "Report a locked service task done, with output data", _ok("the case afterwards", _ref("Instance")),
        "ExternalCompleteRequest", parameters=[EXTERNAL_PATH]),
    "/external-tasks/{task_id}/failure": _worker_op(
        "Report a failure (0 retries left: an incident on the case)", _ok("the task", _ref("ExternalTask")),
        "ExternalFailureRequest", parameters=[EXTERNAL_PATH]),
    "/instances/{instance_id}/cancel": _worker_op(
        "Stop a case for good (coordinators)", _ok("the case", _ref("Instance")), "ReasonRequest",
        parameters=[ID_PATH]),
    "/instances/{instance_id}/suspend": _worker_op(
        "Pause a case: no task completes, no deadline fires (coordinators)", _ok("the case", _ref("Instance")),
        "ReasonRequest", parameters=[ID_PATH]),
    "/instances/{instance_id}/retry": {"post": _op(
        "Run a case stopped by an incident again", _ok("the case", _ref("Instance")), parameters=[ID_PATH])},
    "/instances/{instance_id}/resume": {"post": _op(
        "Let a suspended case go on where it was", _ok("the case", _ref("Instance")), parameters=[ID_PATH])},
    "/tasks/{task_id}/data": {"get": _op(
        "The data a completed task recorded", _ok("its data", _ref("CompletedTaskData")), parameters=[TASK_PATH])},
    "/messages": _worker_op(
        "Deliver a message to the one case waiting for it (404: none waits, 409: several do)",
        _ok("the case afterwards", _ref("Instance")), "MessageRequest"),
    "/external-tasks/{task_id}/extend-lock": _worker_op(
        "Hold a locked service task longer", _ok("the task", _ref("ExternalTask")), "ExtendLockRequest",
        parameters=[EXTERNAL_PATH]),
})


# The audit (issue 15): the operation log and history export.
SCHEMAS["Operation"] = _obj({
    "seq": INT, "at": TIME, "actor": STR, "address": _nullable(STR), "action": STR, "target": _nullable(STR),
    "before": _nullable(OBJ), "after": _nullable(OBJ), "hash": STR})
_EXPORT = {
    "200": {"description": "one line per event, then one per covering checkpoint (check it with "
                           "tools/verify_export.py)",
            "content": {"application/x-ndjson": {"schema": STR}, "text/csv": {"schema": STR}}}}
_FORMAT = {"name": "format", "in": "query", "required": False,
           "schema": {"type": "string", "enum": ["jsonl", "csv"]}}
_DAY = {"type": "string", "format": "date"}
PATHS.update({
    "/operations": {"get": _op(
        "The operation log, newest first (auditors and admins)",
        _ok("entries", {"type": "array", "items": _ref("Operation")}), parameters=[
            {"name": "actor", "in": "query", "schema": TEXT},
            {"name": "action", "in": "query", "schema": TEXT},
            {"name": "target", "in": "query", "schema": TEXT},
            {"name": "since", "in": "query", "schema": _DAY},
            {"name": "until", "in": "query", "schema": _DAY},
            {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}},
            {"name": "before", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}},
        ])},
    "/instances/{instance_id}/history/export": {"get": _op(
        "One case's history with chain hashes and the signed checkpoints covering it", _EXPORT,
        parameters=[ID_PATH, _FORMAT])},
    "/campaigns/{campaign_id}/history/export": {"get": _op(
        "The history of every case of a campaign, with hashes and checkpoints", _EXPORT,
        parameters=[{"name": "campaign_id", "in": "path", "required": True, "schema": TEXT}, _FORMAT])},
})

# A task's form kept as a draft, per task and user (webapp/instance_api.py).
SCHEMAS.update({
    "TaskDraft": _obj({"task_id": STR, "owner": STR, "data": OBJ, "saved_at": TIME}),
    "DraftRequest": _obj({"data": OBJ}),
})
PATHS["/tasks/{task_id}/draft"] = {
    "get": _op("My draft of a task (404: none saved)", _ok("the draft", _ref("TaskDraft")), parameters=[TASK_PATH]),
    "put": _op("Keep a task's form as my draft without completing it", _ok("the draft", _ref("TaskDraft")),
               parameters=[TASK_PATH], requestBody={"required": True, **_json(_ref("DraftRequest"))}),
    "delete": _op("Throw my draft of a task away", {"204": {"description": "deleted"}}, parameters=[TASK_PATH]),
}

# The caller's near-due and overdue work (webapp/api.py, engine/reminders.py).
SCHEMAS.update({
    "Reminder": _obj({"task_id": STR, "instance_id": INT, "task_name": STR, "due_at": TIME, "threshold": STR,
                      "assignee": _nullable(STR), "case_leader": _nullable(STR), "title": _nullable(STR),
                      "business_key": _nullable(STR), "role": STR}),
    "Reminders": _obj({"near_due": INT, "overdue": INT, "items": {"type": "array", "items": _ref("Reminder")}}),
})
PATHS["/reminders"] = {"get": _op(
    "My near-due and overdue tasks, as holder and as case leader (threshold near_due or overdue)",
    _ok("the reminders", _ref("Reminders")))}
# Issue 16: the ledger export and campaign reports (webapp/report_api.py).
SCHEMAS.update({
    "ReportSummary": _obj({
        "id": INT, "campaign_instance_id": INT, "campaign_id": _nullable(STR), "kind": STR, "label": STR,
        "task_id": _nullable(STR), "period_start": TIME, "period_end": TIME, "generated_at": TIME,
        "status": STR, "remarks": _nullable(STR), "published_at": _nullable(TIME),
        "published_by": _nullable(STR), "totals": OBJ}),
    "Report": _obj({
        "id": INT, "campaign_instance_id": INT, "campaign_id": _nullable(STR), "kind": STR, "label": STR,
        "task_id": _nullable(STR), "period_start": TIME, "period_end": TIME, "generated_at": TIME,
        "status": STR, "remarks": _nullable(STR), "published_at": _nullable(TIME),
        "published_by": _nullable(STR),
        "content": {**OBJ, "description": "totals, overdue_by_leader, near_due_by_leader, named, progress, "
                                          "statistics (统计表), rates; monthly: cases"}}),
})
_LEDGER_FILTERS = [
    {"name": n, "in": "query", "required": False, "schema": TEXT} for n in ("q", "campaign", "phase", "leader")
] + [
    {"name": "colour", "in": "query", "schema": {"type": "string", "enum": ["red", "yellow", "green"]}},
    {"name": "class", "in": "query", "schema": {"type": "string", "enum": ["A", "B", "C"]}},
    {"name": "status", "in": "query", "schema": {"type": "string",
                                                 "enum": ["running", "completed", "cancelled", "error"]}},
    {"name": "overdue", "in": "query", "schema": {"type": "string", "enum": ["0", "1"]}},
    {"name": "final", "in": "query", "schema": {"type": "string", "enum": ["0", "1"]}},
]
_FILE = {"200": {"description": "the file", "content": {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string",
                                                                                     "format": "binary"}},
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {"schema": {
        "type": "string", "format": "binary"}},
    "text/csv": {"schema": STR}}}}
REPORT_PATH = {"name": "report_id", "in": "path", "required": True,
               "schema": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}}
PATHS.update({
    "/ledger/export": {"get": _op(
        "The ledger with the ledger page's filters, every page, as .xlsx (default) or CSV (UTF-8 with BOM)",
        _FILE, parameters=[*_LEDGER_FILTERS, {"name": "format", "in": "query", "schema": {
            "type": "string", "enum": ["xlsx", "csv"]}}])},
    "/reports": {"get": _op(
        "Weekly bulletins and monthly reports, newest first (the roles that read every case)",
        _ok("reports", {"type": "array", "items": _ref("ReportSummary")}), parameters=[
            {"name": "campaign", "in": "query", "schema": TEXT},
            {"name": "kind", "in": "query", "schema": {"type": "string",
                                                       "enum": ["weekly_bulletin", "monthly_report"]}}])},
    "/reports/{report_id}": {"get": _op("One report with its figures and lists", _ok("the report", _ref("Report")),
                                        parameters=[REPORT_PATH])},
    "/reports/{report_id}/download": {"get": _op(
        "One report as .docx (default) or .xlsx", _FILE, parameters=[REPORT_PATH, {
            "name": "format", "in": "query", "schema": {"type": "string", "enum": ["docx", "xlsx"]}}])},
})
# The dashboard's figures (webapp/dashboard.py, engine/figures.py; the rates of engine/rates.py).
_COUNTS = {"type": "array", "items": _obj({"key": STR, "count": INT})}
_NUMBER = {"type": "number"}
_DUE_CASE = _obj({"instance_id": INT, "due_at": TIME, "days": INT}, {
    "business_key": _nullable(STR), "title": _nullable(STR), "case_leader": _nullable(STR),
    "risk_colour": _nullable(STR), "task": _nullable(STR)})
SCHEMAS.update({
    "Rate": _obj({"numerator": INT, "denominator": INT}, {
        "value": _nullable(_NUMBER), "percent": _nullable(_NUMBER)}),
    "Figures": _obj({
        "as_of": TIME, "total": INT,
        "rates": {"type": "object", "description": "closed_rate (办结率), resolve_rate (化解率), "
                  "petitioning_stopped_rate (息访率); value null when no case is counted",
                  "additionalProperties": _ref("Rate")},
        "by_colour": _COUNTS, "by_class": _COUNTS, "by_subject": _COUNTS, "by_unit": _COUNTS,
        "by_leader": _COUNTS, "by_phase": _COUNTS, "overdue_count": INT, "near_due_count": INT,
        "overdue": {"type": "array", "items": _DUE_CASE}, "near_due": {"type": "array", "items": _DUE_CASE},
        "weekly": {"type": "array", "items": _obj({"week": STR, "starts": {"type": "string", "format": "date"},
                                                   "registered": INT, "closed": INT, "resolved": INT})},
    }, {"campaign_id": _nullable(STR)}),
    "CampaignFigures": {"allOf": [_ref("Figures"), _obj({
        "current_phase": _nullable(STR),
        "targets": {"type": "array", "items": _obj({
            "rate": STR, "target": _NUMBER, "numerator": INT, "denominator": INT}, {
            "kind": _nullable(STR), "actual": _nullable(_NUMBER), "met": _nullable({"type": "boolean"})})},
    })]},
})
PATHS.update({
    "/figures": {"get": _op("The dashboard's figures of the whole office (readers of every case, case leaders)",
                            _ok("the figures", _ref("Figures")))},
    "/campaigns/{campaign_id}/figures": {"get": _op(
        "The dashboard's figures of one campaign, with its targets against the actual rates",
        _ok("the figures", _ref("CampaignFigures")),
        parameters=[{"name": "campaign_id", "in": "path", "required": True, "schema": TEXT}])},
})
