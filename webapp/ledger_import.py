"""Importing cases into the ledger from Excel (台账导入): the template, the check, the import job.

The upload is checked in the request, every row, and the problems are listed (row, column,
message); nothing is imported while a row is bad unless the user then chooses to import only
the good rows. The import itself runs in a background thread whose progress is kept in the
database (`Engine.case_imports`), so the page's progress bar reads it from any web process
and the job goes on after the request has answered. A file is kept under the upload folder by
its sha256 until it is imported, so choosing "only the good rows" does not upload it again.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers.response import Response as BaseResponse

from engine import (
    Engine,
    ImportCheck,
    ImportJobView,
    case_template,
    check_cases,
    describe_import_problem,
    import_cases,
)
from webapp import access
from webapp.auth import current_user, require
from webapp.services import engine, queries, settings

bp = Blueprint("ledger_import", __name__, url_prefix="/ledger/import")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Problems listed on the page; the rest are counted.
SHOWN_PROBLEMS = 500


@bp.get("/")
@require(access.IMPORT_CASES)
def index() -> str:
    """The upload form and the latest imports."""
    return _page()


@bp.get("/template.xlsx")
@require(access.IMPORT_CASES)
def template() -> Response:
    """The .xlsx template of the deployed registration form."""
    body = case_template(engine(), _)
    return Response(body, mimetype=XLSX,
                    headers={"Content-Disposition": "attachment; filename*=UTF-8''%E5%8F%B0%E8%B4%A6%E5%AF%BC%E5"
                                                    "%85%A5%E6%A8%A1%E6%9D%BF.xlsx; filename=ledger_template.xlsx"})


@bp.post("/")
@require(access.IMPORT_CASES)
def upload() -> str | BaseResponse:
    """Check an uploaded file; start its import when every row is good."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _page(error=_("Choose an .xlsx file to upload."))
    body = upload.stream.read(settings().max_upload_bytes + 1)
    if len(body) > settings().max_upload_bytes:
        return _page(error=_("The file is too large."))
    campaign = _campaign()
    name = Path(upload.filename).name
    check = check_cases(engine(), body, file_name=name, campaign_id=campaign)
    if not check.ok:
        if check.good and not check.file_problem:
            _keep(check.sha256, body)
        return _page(check=check, campaign=campaign)
    return _start(body, check, campaign, only_good=False)


@bp.post("/run")
@require(access.IMPORT_CASES)
def run() -> str | BaseResponse:
    """Import the good rows of a file checked before (kept by its sha256)."""
    sha = request.form.get("sha256", "")
    path = _kept(sha)
    if path is None:
        return _page(error=_("The file is no longer kept; upload it again."))
    body = path.read_bytes()
    campaign = _campaign()
    check = check_cases(engine(), body, file_name=request.form.get("file_name") or path.name, campaign_id=campaign)
    if check.file_problem:
        return _page(check=check, campaign=campaign)
    return _start(body, check, campaign, only_good=request.form.get("only_good_rows") == "1")


@bp.get("/jobs/<int:job_id>")
@require(access.IMPORT_CASES)
def job(job_id: int) -> str:
    """An import's progress bar (refreshed by ledger_import.js, or by the page itself)."""
    return render_template("ledger/import_job.html", job=engine().case_imports.job(job_id))


@bp.get("/jobs/<int:job_id>.json")
@require(access.IMPORT_CASES)
def job_status(job_id: int) -> Response:
    """How far an import got, for the progress bar."""
    return jsonify(_job_json(engine().case_imports.job(job_id)))


def _page(*, check: ImportCheck | None = None, campaign: str | None = None, error: str | None = None) -> str:
    problems = []
    if check is not None:
        problems = [{"row": p.row, "column": p.column, "message": describe_import_problem(p, _),
                     "blocking": p.blocking} for p in check.problems[:SHOWN_PROBLEMS]]
    return render_template("ledger/import.html", check=check, problems=problems, campaign=campaign, error=error,
                           campaigns=queries().choices().campaigns, jobs=engine().case_imports.jobs(10))


def _campaign() -> str | None:
    """The chosen campaign, one of those the ledger knows (anything else is refused)."""
    chosen = (request.form.get("campaign") or "").strip()
    if not chosen:
        return None
    if chosen not in queries().choices().campaigns:
        abort(400)
    return chosen


def _start(body: bytes, check: ImportCheck, campaign: str | None, *, only_good: bool) -> BaseResponse:
    """Create the job and run the import in a thread; answer with the job's page."""
    eng = engine()
    job = eng.case_imports.create_job(process_key="petition_case", file_name=check.file_name, sha256=check.sha256,
                                      campaign_id=campaign, total=len(check.good), actor=current_user().username)
    actor = current_user().username
    worker = threading.Thread(target=_run_job, name=f"ledger-import-{job.id}", daemon=True,
                              args=(current_app.logger, eng, job.id, body, check.file_name, campaign, only_good, actor))
    worker.start()
    _forget(check.sha256)
    return redirect(url_for("ledger_import.job", job_id=job.id))


def _run_job(logger: logging.Logger, eng: Engine, job_id: int, body: bytes, file_name: str, campaign: str | None,
             only_good: bool, actor: str) -> None:
    """The background import: progress written after each batch, the report at the end."""
    def progress(done: int, _total: int) -> None:
        eng.case_imports.job_progress(job_id, done)

    try:
        report = import_cases(eng, body, campaign_id=campaign, only_good_rows=only_good, progress=progress,
                              actor=actor, file_name=file_name)
    except Exception as exc:  # the job says it failed; the committed batches stay, re-importing skips them
        logger.exception("ledger import %s failed", job_id)
        eng.case_imports.finish_job(job_id, {}, error=f"{type(exc).__name__}: {exc}")
        return
    eng.case_imports.finish_job(job_id, report.as_dict())


def _job_json(job: ImportJobView) -> dict[str, Any]:
    return {"id": job.id, "status": job.status, "total": job.total, "done": job.done,
            "report": job.report, "error": job.error,
            "ledger": url_for("ledger.index", campaign=job.campaign_id) if job.campaign_id else url_for("ledger.index")}


def _folder() -> Path:
    return Path(settings().upload_dir) / "imports"


def _keep(sha: str, body: bytes) -> None:
    """Keep a checked file (readable by the owner only) for an import of its good rows."""
    folder = _folder()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / f"{sha}.xlsx"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(body)


def _kept(sha: str) -> Path | None:
    if not re.fullmatch(r"[0-9a-f]{64}", sha):
        return None
    path = _folder() / f"{sha}.xlsx"
    return path if path.exists() else None


def _forget(sha: str) -> None:
    path = _kept(sha)
    if path is not None:
        path.unlink(missing_ok=True)
