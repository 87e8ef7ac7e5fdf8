"""The process designer: draw, check, version and deploy diagrams, move running cases.

Designers edit; the roles that see deployments read (diagrams, versions, diffs). The page's
JavaScript is static (webapp/static/designer.js, no inline scripts); it talks to the JSON
routes here with the session cookie and the CSRF token.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine import DiagramInvalid, Problem, ProcessNotFound, diagram_kind
from webapp import access, deployments, designer_api, labels
from webapp.api import plain
from webapp.auth import current_user, require
from webapp.services import engine

bp = Blueprint("designer", __name__, url_prefix="/designer")

MAX_DIAGRAM_BYTES = deployments.MAX_DIAGRAM_BYTES

#: A new process starts from this: one start event, one task for the case handlers, one end.
TEMPLATE = Path(__file__).parent / "templates" / "designer" / "new_process.bpmn"


def _may_design() -> bool:
    return access.has_any(current_user().groups, access.DESIGN)


@bp.get("/")
@require(access.SEE_DEPLOYMENTS)
def index() -> str:
    """Every process (newest version of each), my drafts, new from template, upload."""
    latest: dict[str, Any] = {}
    for d in engine().deployments():
        latest.setdefault(d.process_key, d)
    drafts = engine().designs.drafts(current_user().username) if _may_design() else []
    return render_template("designer/index.html", processes=list(latest.values()), drafts=drafts,
                           may_design=_may_design())


@bp.get("/processes/<key>")
@require(access.SEE_DEPLOYMENTS)
def versions(key: str) -> str:
    """The versions of a process, running-instance counts, change notes; diff and migrate."""
    found = engine().designs.versions(key)
    if not found:
        abort(404)
    return render_template("designer/versions.html", key=key, versions=found, may_design=_may_design())


@bp.get("/processes/<key>/<int:version>.xml")
@require(access.SEE_DEPLOYMENTS)
def source(key: str, version: int) -> Response:
    """The deployed XML of one version, to open or download."""
    xml = engine().diagram_xml(key, version)
    kind = diagram_kind(key, xml)
    return Response(xml, mimetype="application/xml", headers={
        "Content-Disposition": f'attachment; filename="{key}_v{version}.{kind}"'})


@bp.get("/edit")
@require(access.SEE_DEPLOYMENTS)
def edit() -> str:
    """The modeler on a deployed version (`?key=&version=`), a draft (`?draft=`) or a new process."""
    key, version, draft_id = request.args.get("key"), request.args.get("version", type=int), request.args.get(
        "draft", type=int)
    name, kind, xml_url = "new_process.bpmn", "bpmn", url_for("designer.template")
    if draft_id is not None:
        if not _may_design():
            abort(403)
        draft = engine().designs.draft(current_user().username, draft_id)
        name, kind, key, version = draft.name, draft.kind, draft.process_key, draft.base_version
        xml_url = url_for("designer.draft_source", draft_id=draft_id)
    elif key:
        found = engine().designs.versions(key)
        if not found:
            abort(404)
        chosen = next((v for v in found if v.version == version), found[0] if version is None else None)
        if chosen is None:
            abort(404)
        version, kind, name = chosen.version, chosen.kind, f"{key}.{chosen.kind}"
        xml_url = url_for("designer.source", key=key, version=version)
    return render_template("designer/edit.html", name=name, kind=kind, key=key, version=version,
                           draft_id=draft_id, xml_url=xml_url, may_design=_may_design())


@bp.get("/template.bpmn")
@require(access.DESIGN)
def template() -> Response:
    """The template a new process starts from."""
    return Response(TEMPLATE.read_bytes(), mimetype="application/xml")


@bp.get("/drafts/<int:draft_id>.xml")
@require(access.DESIGN)
def draft_source(draft_id: int) -> Response:
    """A draft's XML (only its owner's)."""
    draft = engine().designs.draft(current_user().username, draft_id)
    return Response(draft.source or b"", mimetype="application/xml", headers={
        "Content-Disposition": f'attachment; filename="{draft.name}"'})


def _xml() -> tuple[str, bytes]:
    """The diagram of a JSON request (`name`, `xml`), within the size limit, or 400/413."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("xml"), str):
        abort(400)
    raw = data["xml"].encode("utf-8")
    if len(raw) > MAX_DIAGRAM_BYTES:
        abort(413)
    name = data.get("name") if isinstance(data.get("name"), str) else "diagram.bpmn"
    return name or "diagram.bpmn", raw


def _problems(problems: list[Problem]) -> list[dict[str, Any]]:
    """Problems as the designer's script shows them: in the user's language, with code and details."""
    return [{"message": labels.problem_text(p, where=False), "code": p.code, "params": p.params,
             "element_id": p.element_id, "line": p.line} for p in problems]


@bp.post("/drafts")
@require(access.DESIGN)
def save_draft() -> Any:
    """Save the modeler's diagram as a draft (new, or `draft_id`); errors in it are allowed."""
    name, raw = _xml()
    data = request.get_json(silent=True) or {}
    draft_id = data.get("draft_id") if isinstance(data.get("draft_id"), int) else None
    base = data.get("base_version") if isinstance(data.get("base_version"), int) else None
    key = data.get("process_key") if isinstance(data.get("process_key"), str) else None
    try:
        draft = engine().designs.save_draft(current_user().username, name, raw, draft_id=draft_id,
                                            process_key=key, base_version=base)
    except DiagramInvalid as exc:
        return jsonify(message=_("This is not a BPMN or DMN diagram; nothing was saved."),
                       problems=_problems(exc.problems)), 422
    return jsonify(id=draft.id, name=draft.name, message=_("Draft saved."))


@bp.post("/drafts/<int:draft_id>/delete")
@require(access.DESIGN)
def delete_draft(draft_id: int) -> Any:
    """Throw a draft away."""
    engine().designs.delete_draft(current_user().username, draft_id)
    flash(_("Draft deleted."), "success")
    return redirect(url_for("designer.index"))


@bp.post("/upload")
@require(access.DESIGN)
def upload() -> Any:
    """Upload a BPMN or DMN file as a new draft and open it; refused files store nothing."""
    uploaded = deployments.read_upload()
    if uploaded is None:
        return redirect(url_for("designer.index"))
    name, raw = uploaded
    try:
        draft = engine().designs.save_draft(current_user().username, name, raw)
    except DiagramInvalid as exc:
        flash(_("This is not a BPMN or DMN diagram; nothing was saved.") + " "
              + _("; ").join(labels.problem_text(p) for p in exc.problems), "error")
        return redirect(url_for("designer.index"))
    return redirect(url_for("designer.edit", draft=draft.id))


@bp.post("/check")
@require(access.DESIGN)
def check() -> Any:
    """The server's validation of the modeler's diagram (what `anjie validate` says)."""
    _name, raw = _xml()
    problems = engine().validate(raw)
    return jsonify(ok=not problems, problems=_problems(problems))


@bp.post("/deploy")
@require(access.DESIGN)
def deploy() -> Any:
    """Deploy the modeler's diagram as a new version with a change note; 422 with the problems."""
    _name, raw = _xml()
    data = request.get_json(silent=True) or {}
    note = data.get("note") if isinstance(data.get("note"), str) else None
    try:
        done = engine().deploy(raw, actor=current_user().username, note=(note or "").strip() or None)
    except DiagramInvalid as exc:
        return jsonify(message=_("The diagram was refused; nothing was deployed."),
                       problems=_problems(exc.problems)), 422
    return jsonify(deployed=[plain(d) for d in done], message=_("Deployed."))


@bp.get("/processes/<key>/diff")
@require(access.SEE_DEPLOYMENTS)
def diff(key: str) -> str:
    """Two versions' difference, drawn on the newer diagram and listed."""
    old, new = request.args.get("from", type=int), request.args.get("to", type=int)
    if old is None or new is None:
        abort(400)
    try:
        found = engine().diff(key, old, new)
    except ProcessNotFound:
        abort(404)
    return render_template("designer/diff.html", key=key, diff=found, diff_json=plain(found),
                           xml_url=url_for("designer.source", key=key, version=new))


@bp.post("/processes/<key>/migrate")
@require(access.MIGRATE)
def migrate(key: str) -> Any:
    """One batch of the bulk move (the page's progress bar sends the ids in batches)."""
    return designer_api.migrate_batch(key)


@bp.get("/processes/<key>/running")
@require(access.MIGRATE)
def running(key: str) -> Any:
    """Ids of the running cases of `?version=N`, for the bulk move's batches."""
    return jsonify(engine().designs.running_instances(key, request.args.get("version", type=int)))


@bp.post("/decisions/test")
@require(access.DESIGN)
def test_decision() -> Any:
    """The "test this table" box: the rules that hit for the given inputs, and the outputs."""
    _name, raw = _xml()
    inputs = (request.get_json(silent=True) or {}).get("inputs")
    if not isinstance(inputs, dict):
        return jsonify(message=_("Enter the inputs as a JSON object."), problems=[]), 400
    try:
        result = engine().designs.try_decision(raw, inputs)
    except DiagramInvalid as exc:
        return jsonify(message=_("The table could not be evaluated with these inputs."),
                       problems=_problems(exc.problems)), 422
    return jsonify(plain(result))
