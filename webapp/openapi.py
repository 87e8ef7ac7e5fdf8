"""The OpenAPI 3 document of the JSON API (kept by hand, checked by the tests)."""

from __future__ import annotations

from typing import Any

from engine import MAX_PAGE


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


STR = {"type": "string"}
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
        "problems": {"type": "array", "items": OBJ}}),
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
        "form": {"type": "array", "items": _ref("FormField")}}),
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
    "StartRequest": {**_obj({"process_key": STR}, {
        "data": OBJ, "business_key": _nullable(STR), "version": _nullable(INT)})},
    "CompleteRequest": _obj({}, {"data": OBJ}),
}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _ok(description: str, schema: dict[str, Any], code: str = "200") -> dict[str, Any]:
    return {code: {"description": description, **_json(schema)}}


ERRORS = {
    code: {"description": text, **_json(_ref("Error"))}
    for code, text in (("400", "bad request"), ("401", "no valid bearer token"),
                       ("403", "not allowed for this user"), ("404", "not found"),
                       ("409", "conflict: already done or changed meanwhile"))
}
ID_PATH = {"name": "instance_id", "in": "path", "required": True, "schema": INT}
TASK_PATH = {"name": "task_id", "in": "path", "required": True, "schema": STR}


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
    "/instances/{instance_id}/replay": {"get": _op(
        "The case as it stood after one history event", _ok("replay", _ref("Replay")),
        parameters=[ID_PATH, {"name": "step", "in": "query", "required": False,
                              "schema": {"type": "integer", "minimum": 0}}])},
    "/tasks": {"get": _op("My inbox, most urgent first", _ok("inbox", _ref("Inbox")),
                          parameters=[
        {"name": "process", "in": "query", "schema": STR},
        {"name": "campaign", "in": "query", "schema": STR},
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
    "MigrateRequest": _obj({"version": {"type": "integer", "minimum": 1}}),
    "BulkMigrateRequest": _obj({"from_version": {"type": "integer", "minimum": 1},
                                "to_version": {"type": "integer", "minimum": 1}},
                               {"instance_ids": {"type": "array", "items": INT}}),
    "BulkMigrateResult": _obj({"moved": {"type": "array", "items": INT}, "refused": {
        "type": "array", "items": _obj({"instance_id": INT, "problems": {
            "type": "array", "items": _ref("MigrationProblem")}})}}),
})
KEY_PATH = {"name": "key", "in": "path", "required": True, "schema": STR}
VERSION = {"type": "integer", "minimum": 1}
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
