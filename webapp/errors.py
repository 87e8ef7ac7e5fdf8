"""Error pages for 400/403/404/409/413/500 in the user's language; the API answers JSON."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Response

from engine import (
    AccountError,
    AssignmentRefused,
    CampaignNotFound,
    ConcurrentModification,
    DataInvalid,
    DraftNotFound,
    EngineError,
    FormInvalid,
    ImportJobNotFound,
    InstanceNotFound,
    MigrationRefused,
    NotAuthorized,
    ProcessNotFound,
    TaskClaimed,
    TaskNotFound,
    TaskNotReady,
    UserNotFound,
)
from webapp import forms, labels
from webapp.i18n import format_when

bp = Blueprint("errors", __name__)


def wants_json() -> bool:
    """The API, and clients that ask for JSON, get JSON errors."""
    if request.blueprint == "api" or request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > \
        request.accept_mimetypes["text/html"]


def error_response(status: int, title: str, message: str, **extra: Any) -> tuple[Any, int]:
    """One error, as JSON for the API or as a friendly page for people."""
    if wants_json():
        return jsonify(error=title, message=message, status=status, **extra), status
    return render_template("errors/error.html", status=status, title=title, message=message,
                           extra=extra), status


def _title(status: int) -> str:
    return {
        400: _("Bad request"),
        401: _("Login required"),
        403: _("Not allowed"),
        404: _("Not found"),
        405: _("Method not allowed"),
        409: _("Conflict"),
        413: _("File too large"),
        500: _("Server error"),
    }.get(status, _("Error"))


def _message(status: int) -> str:
    return {
        400: _("The request could not be understood. Go back and try again."),
        401: _("Please log in."),
        403: _("You do not have permission to see or do this. Ask your coordinator if you "
               "think you should."),
        404: _("There is nothing here. The link may be old or mistyped."),
        405: _("This address does not accept that kind of request."),
        409: _("Someone else changed this at the same moment. Reload the page and try again."),
        413: _("The file is larger than allowed."),
        500: _("Something went wrong on our side. The error has been logged; please try "
               "again later."),
    }.get(status, _("Something went wrong."))


def init_app(app: Flask) -> None:
    """Map HTTP and engine errors to pages (or JSON) in one place."""

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        status = exc.code or 500
        if isinstance(exc, CSRFError):
            return error_response(400, _("Form expired"),
                                  _("The form was open too long or came from elsewhere. Reload "
                                    "the page and submit it again."))
        if status == 401 and wants_json():
            resp: Response = jsonify(error=_title(401), message=_("Send a bearer token."),
                                     status=401)
            resp.status_code = 401
            resp.headers["WWW-Authenticate"] = 'Bearer realm="anjie"'
            return resp
        # A route's own explanation (abort(400, "...")) is shown instead of the generic one.
        custom = exc.description if exc.description != type(exc).description else None
        return error_response(status, _title(status), custom or _message(status))

    @app.errorhandler(TaskNotReady)
    def task_not_ready(exc: TaskNotReady) -> Any:
        if exc.completed_by:
            message = _("%(who)s completed this task first, at %(when)s. Nothing you entered "
                        "was saved; open your inbox for your next task.",
                        who=exc.completed_by, when=format_when(exc.completed_at))
        else:
            message = _("This task cannot be worked now (it is %(state)s). Reload your inbox.",
                        state=exc.state)
        return error_response(409, _("Task already done"), message, task_id=exc.task_id,
                              completed_by=exc.completed_by,
                              completed_at=exc.completed_at.isoformat()
                              if exc.completed_at else None)

    @app.errorhandler(TaskClaimed)
    def task_claimed(exc: TaskClaimed) -> Any:
        return error_response(409, _title(409), _("%(who)s has claimed this task.",
                                                   who=exc.assignee), task_id=exc.task_id)

    @app.errorhandler(ConcurrentModification)
    def concurrent(exc: ConcurrentModification) -> Any:
        return error_response(409, _title(409), _message(409), instance_id=exc.instance_id)

    @app.errorhandler(NotAuthorized)
    def not_authorized(exc: NotAuthorized) -> Any:
        return error_response(403, _title(403), _message(403))

    for missing in (TaskNotFound, InstanceNotFound, ProcessNotFound, UserNotFound, DraftNotFound, ImportJobNotFound,
                    CampaignNotFound):
        app.register_error_handler(
            missing, lambda exc: error_response(404, _title(404), _message(404)))

    @app.errorhandler(FormInvalid)
    def form_invalid(exc: FormInvalid) -> Any:
        fields = {k: {"code": p.code, "limit": p.limit, "message": forms.message(p)} for k, p in exc.problems.items()}
        return error_response(400, _("Invalid data"), str(exc), field=exc.field, fields=fields)
    @app.errorhandler(MigrationRefused)
    def migration_refused(exc: MigrationRefused) -> Any:
        return error_response(409, _("Cannot move to that version"),
                              _("The case cannot move to version %(version)s; nothing was changed.",
                                version=exc.version),
                              instance_id=exc.instance_id,
                              problems=[{"reason": p.reason, "message": p.message, "text": labels.migration_text(p),
                                         "element_id": p.element_id} for p in exc.problems])

    @app.errorhandler(DataInvalid)
    def data_invalid(exc: DataInvalid) -> Any:
        return error_response(400, _("Invalid data"), str(exc), field=exc.field)

    @app.errorhandler(AssignmentRefused)
    def assignment_refused(exc: AssignmentRefused) -> Any:
        return error_response(400, _("Cannot assign"), str(exc), task_id=exc.task_id,
                              user=exc.user)

    @app.errorhandler(AccountError)
    def account_error(exc: AccountError) -> Any:
        return error_response(400, _title(400), str(exc))

    @app.errorhandler(EngineError)
    def engine_error(exc: EngineError) -> Any:
        return error_response(409, _title(409), str(exc))

    @app.errorhandler(InternalServerError)
    def server_error(exc: InternalServerError) -> Any:
        return error_response(500, _title(500), _message(500))
