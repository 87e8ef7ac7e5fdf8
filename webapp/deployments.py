"""Deployed diagrams: everyone with a need sees them; only designers deploy new versions."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine import DiagramInvalid
from webapp import access
from webapp import forms as task_forms
from webapp.auth import current_user, require
from webapp.services import engine

bp = Blueprint("deployments", __name__, url_prefix="/deployments")

MAX_DIAGRAM_BYTES = 5_000_000


@bp.get("/")
@require(access.SEE_DEPLOYMENTS)
def index() -> str:
    """Every deployed process version, newest first."""
    return render_page([])


def render_page(problems: list[Any], status: int = 200) -> Any:
    """Draw the deployments page with any problems of a refused upload."""
    items = sorted(engine().deployments(), key=lambda d: (d.process_key, -d.version))
    return render_template("deployments/index.html", deployments=items, problems=problems,
                           may_deploy=access.has_any(current_user().groups, access.DEPLOY)
                           ), status


@bp.get("/<process_key>/v<int:version>/forms")
@require(access.SEE_DEPLOYMENTS)
def forms(process_key: str, version: int) -> str:
    """Every task form of a process version, as a new case first shows it (for designers)."""
    return render_template("deployments/forms.html", process_key=process_key, version=version,
                           tasks=engine().task_forms(process_key, version))


@bp.get("/<process_key>/v<int:version>/forms/<element_id>")
@require(access.SEE_DEPLOYMENTS)
def form(process_key: str, version: int, element_id: str) -> str:
    """One task's form drawn exactly as the task page draws it, on a case with no data yet."""
    found = engine().task_forms(process_key, version).get(element_id)
    if found is None:
        abort(404)
    name, fields = found
    return render_template("deployments/form.html", process_key=process_key, version=version, name=name,
                           element_id=element_id, fields=fields, values=task_forms.initial_values(fields, {}),
                           errors={}, earlier={}, choices={}, widget=task_forms.widget)


def read_upload() -> tuple[str, bytes] | None:
    """The uploaded `diagram` file's name and bytes; None, with the reason flashed, when no file
    was chosen or it is larger than MAX_DIAGRAM_BYTES (only that much is ever read)."""
    upload = request.files.get("diagram")
    if upload is None or not upload.filename:
        flash(_("Choose a diagram file first."), "error")
        return None
    source = upload.stream.read(MAX_DIAGRAM_BYTES + 1)
    if len(source) > MAX_DIAGRAM_BYTES:
        flash(_("The file is larger than allowed."), "error")
        return None
    return upload.filename, source


@bp.post("/")
@require(access.DEPLOY)
def deploy() -> Any:
    """Deploy an uploaded BPMN or DMN file; show every problem if it is refused."""
    uploaded = read_upload()
    if uploaded is None:
        return redirect(url_for("deployments.index"))
    _name, source = uploaded
    try:
        done = engine().deploy(source, actor=current_user().username)
    except DiagramInvalid as exc:
        flash(_("The diagram was refused; nothing was deployed."), "error")
        return render_page(exc.problems, 400)
    for d in done:
        flash(_("Deployed %(key)s version %(version)s.", key=d.process_key, version=d.version),
              "success")
    return redirect(url_for("deployments.index"))
