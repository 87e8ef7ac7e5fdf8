"""Importing a ledger file (.xlsx): check every row first, then register the good ones.

`check_cases` reads the file against the deployed registration form (`ledger_columns.py`) and
lists every problem as (row, column, code): a missing required column, a cell the form refuses
(through `Engine`'s own form check, so the rules are the diagram's), a case number given twice
in the file. Rows whose case number a case of the process holds already are not problems: they
are skipped, so a file imported twice registers each case once. `import_cases` imports nothing
while any row is bad unless asked to import only the good rows.

The ledger export (.xlsx, or its UTF-8 CSV) is a ledger file too: its registration columns are
read back (`ledger_readback.py`), the columns later steps decide are listed once as not imported,
and a column the file lacks takes the form's default, as the form shows it to a person.

Problems are codes with a limit, not sentences; `describe_import_problem` gives the English text
that the web app and the CLI translate (Chinese first).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openpyxl import load_workbook

from .case_imports import CaseRow, ImportedCase
from .data import has_control_character
from .errors import ImportRefused
from .forms import FormInvalid
from .ledger_columns import CASES_SHEET, KEY_ALIASES, KEY_HEADER, Column, columns_of, normal_header, template
from .ledger_readback import READ_BACK, export_column, flag_fields

if TYPE_CHECKING:
    from .service import Engine

PROCESS = "petition_case"
#: The column of the ledger export that lists a case's flags (ledger_readback.flag_fields).
FLAGS = "flags"
REGISTRATION = "register_petition"
#: More rows than this are refused whole: split the file.
MAX_ROWS = 50_000
KEY_LIMIT = 200

#: code -> English text; %(limit)s is the problem's limit (an option list, a row, a number).
TEXTS: dict[str, str] = {
    "not_a_workbook": "The file is not an Excel workbook (.xlsx).",
    "not_imported": "Not imported: later steps of the case decide it.",
    "unknown_flag": "Unknown flag: %(limit)s.",
    "no_rows": "The file has no rows of cases under its header row.",
    "too_many_rows": "The file has more than %(limit)s rows; split it into smaller files.",
    "missing_column": "The required column is missing.",
    "unknown_column": "Unknown column, ignored.",
    "duplicate_column": "The column appears twice.",
    "duplicate_in_file": "Same case number as row %(limit)s.",
    "duplicate_row": "Same content as row %(limit)s.",
    "key_too_long": "The case number is longer than %(limit)s characters.",
    "key_control_character": "The case number contains a control character.",
    "required": "Required; the cell is empty.",
    "not_a_number": "Not a whole number.",
    "not_a_boolean": "Enter 是 or 否.",
    "not_a_date": "Not a date; enter it like 2026-03-02.",
    "not_an_option": "Not one of the drop-down values (%(limit)s).",
    "min": "Smaller than the smallest allowed value, %(limit)s.",
    "max": "Larger than the largest allowed value, %(limit)s.",
    "minlength": "Shorter than %(limit)s characters.",
    "maxlength": "Longer than %(limit)s characters.",
    "pattern": "Not in the expected format.",
    "not_future": "The date is after today.",
    "not_past": "The date is before today.",
    "unknown_user": "No active user of this name holds the role %(limit)s.",
    "not_a_document": "A case document cannot be given in a file.",
    "invalid": "Refused: %(limit)s",
}
#: Codes that do not stop an import (the column is ignored).
NOTICES = frozenset({"unknown_column", "not_imported"})


@dataclass(frozen=True)
class ImportProblem:
    """One problem of a ledger file: its row (1 is the header row), the column's header, a
    code of TEXTS and the limit it names."""

    row: int
    column: str
    code: str
    limit: str | None = None

    @property
    def blocking(self) -> bool:
        return self.code not in NOTICES


@dataclass
class ImportCheck:
    """A ledger file checked: its good rows ready to import, every problem, the rows skipped
    because their case exists (row -> case id)."""

    sha256: str
    file_name: str
    total: int
    good: list[CaseRow] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    existing: dict[int, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no problem stops the whole file from being imported."""
        return not any(p.blocking for p in self.problems)

    @property
    def bad_rows(self) -> list[int]:
        return sorted({p.row for p in self.problems if p.blocking and p.row > 1})

    @property
    def file_problem(self) -> bool:
        """A problem of the file itself (header row): no row can be imported."""
        return any(p.blocking and p.row <= 1 for p in self.problems)


@dataclass
class ImportReport:
    """What an import did: how many rows it imported (their case ids), skipped as existing, and
    whether it imported nothing because of the problems listed."""

    sha256: str
    file_name: str
    total: int
    imported: list[int] = field(default_factory=list)
    skipped: dict[int, int] = field(default_factory=dict)
    problems: list[ImportProblem] = field(default_factory=list)
    blocked: bool = False
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """A plain JSON form (kept with the import job)."""
        return {"sha256": self.sha256, "file_name": self.file_name, "total": self.total,
                "imported": len(self.imported), "first_case": min(self.imported, default=None),
                "skipped": len(self.skipped), "bad_rows": len({p.row for p in self.problems if p.blocking}),
                "blocked": self.blocked, "seconds": round(self.seconds, 2),
                "not_imported": [p.column for p in self.problems if p.code == "not_imported"]}


def describe_import_problem(problem: ImportProblem, say: Callable[[str], str] = str) -> str:
    """The problem's text in the language of `say` (a gettext)."""
    text = say(TEXTS.get(problem.code, TEXTS["invalid"]))
    return text % {"limit": problem.limit if problem.limit is not None else problem.code}


def case_template(engine: Engine, say: Callable[[str], str] = str, *, process_key: str = PROCESS,
                  task_id: str = REGISTRATION) -> bytes:
    """The .xlsx template for the newest deployed version's registration form."""
    return template(columns_of(engine.case_imports.form(process_key, task_id)), say)


def check_cases(engine: Engine, source: Path | str | bytes, *, file_name: str | None = None,
                campaign_id: str | None = None, process_key: str = PROCESS,
                task_id: str = REGISTRATION) -> ImportCheck:
    """Read and check every row of a ledger file; nothing is written."""
    content = Path(source).read_bytes() if isinstance(source, Path | str) else bytes(source)
    name = file_name or (Path(source).name if isinstance(source, Path | str) else "upload.xlsx")
    check = ImportCheck(sha256=hashlib.sha256(content).hexdigest(), file_name=name, total=0)
    columns = columns_of(engine.case_imports.form(process_key, task_id))
    if campaign_id and not any(c.field.id == "campaign_id" for c in columns):
        raise ImportRefused(process_key, task_id, "its form has no campaign_id field to join a campaign by")
    is_csv = name.lower().endswith(".csv") or content.startswith(b"\xef\xbb\xbf")
    table = _read_csv(content, check) if is_csv else _read(content, check)
    if table is None:
        return check
    header, body = table
    by_column = _match_header(header, columns, check)
    form_ids = {c.field.id for c in columns}
    flags_at = by_column.get(FLAGS)
    # A column the file lacks takes the form's default, as the form shows it to a person.
    defaults = {c.field.id: c.field.default for c in columns
                if c.field.id not in by_column and c.field.default not in (None, "")}
    check.total = len(body)
    if not body:
        check.problems.append(ImportProblem(1, "", "no_rows"))
    elif len(body) > MAX_ROWS:
        check.problems.append(ImportProblem(1, "", "too_many_rows", str(MAX_ROWS)))
    if check.file_problem:
        return check
    key_at = by_column.get(KEY_HEADER)
    rows: list[tuple[int, str | None, dict[str, Any]]] = []
    flag_problems: dict[int, ImportProblem] = {}
    for number, cells in body:
        data: dict[str, Any] = dict(defaults)
        if flags_at is not None and flags_at < len(cells):
            flags = flag_fields(cells[flags_at], form_ids)
            if isinstance(flags, str):
                flag_problems[number] = ImportProblem(number, str(header[flags_at]), "unknown_flag", flags)
            else:
                data.update(flags)  # a field's own column, read next, comes first
        for column in columns:
            at = by_column.get(column.field.id)
            if at is not None and at < len(cells):
                value = column.value(cells[at])
                if value is not None:
                    data[column.field.id] = value
        if campaign_id:
            data["campaign_id"] = campaign_id  # the campaign chosen for the import, not the file's
        key = cells[key_at] if key_at is not None and key_at < len(cells) else None
        key_text = str(int(key) if isinstance(key, float) and key.is_integer() else key).strip() if key is not None \
            else ""
        rows.append((number, key_text or None, data))
    typed = engine.case_imports.check(process_key, task_id, [data for _n, _k, data in rows])
    headers = {c.field.id: c.header for c in columns}
    first_of_key: dict[str, int] = {}
    candidates: list[CaseRow] = []
    for (number, key, data), accepted in zip(rows, typed, strict=True):
        problems = _row_problems(number, accepted, headers, columns)
        if number in flag_problems:
            problems.append(flag_problems[number])
        if isinstance(accepted, dict):
            content_key = _derived_key(accepted)
            key = key or content_key
            if len(key) > KEY_LIMIT:
                problems.append(ImportProblem(number, KEY_HEADER, "key_too_long", str(KEY_LIMIT)))
            elif has_control_character(key):
                problems.append(ImportProblem(number, KEY_HEADER, "key_control_character"))
            elif key in first_of_key:
                code = "duplicate_row" if key == content_key else "duplicate_in_file"
                problems.append(ImportProblem(number, KEY_HEADER, code, str(first_of_key[key])))
            else:
                first_of_key[key] = number
        check.problems.extend(problems)
        if not problems and key is not None:
            if campaign_id:
                data = {**data, "campaign_id": campaign_id}
            candidates.append(CaseRow(business_key=key, data=data, row=number))
    existing = engine.case_imports.existing(process_key, [c.business_key for c in candidates])
    for case in candidates:
        if case.business_key in existing and case.row is not None:
            check.existing[case.row] = existing[case.business_key]
        else:
            check.good.append(case)
    check.problems.sort(key=lambda p: (p.row, p.column))
    return check


def import_cases(engine: Engine, source: Path | str | bytes, *, campaign_id: str | None = None,
                 only_good_rows: bool = False, progress: Callable[[int, int], None] | None = None,
                 actor: str = "import", file_name: str | None = None, process_key: str = PROCESS,
                 task_id: str = REGISTRATION, batch_size: int = 100) -> ImportReport:
    """Check the file, then register its good rows past the registration task (each with a
    `instance_imported` event naming the file's sha256 and its row). Nothing is imported while a
    row is bad, unless `only_good_rows`; nothing ever when the file itself is wrong. Rows whose
    case number exists are skipped. `progress(done, total)` follows the import."""
    began = time.perf_counter()
    check = check_cases(engine, source, file_name=file_name, campaign_id=campaign_id, process_key=process_key,
                        task_id=task_id)
    report = ImportReport(sha256=check.sha256, file_name=check.file_name, total=check.total,
                          skipped=dict(check.existing), problems=list(check.problems))
    if check.file_problem or (not check.ok and not only_good_rows):
        report.blocked = True
        return report
    total = len(check.good)
    done: list[ImportedCase] = engine.import_cases(
        process_key, check.good, task_id=task_id, actor=actor, batch_size=batch_size,
        origin={"sha256": check.sha256, "file_name": check.file_name},
        progress=(lambda n: progress(n, total)) if progress else None)
    report.imported = [r.instance_id for r in done if r.imported]
    report.skipped.update({r.row: r.instance_id for r in done if not r.imported and r.row is not None})
    report.seconds = time.perf_counter() - began
    return report


def _read(content: bytes, check: ImportCheck) -> tuple[list[Any], list[tuple[int, list[Any]]]] | None:
    """The header row and the non-empty rows (with their numbers) of the cases sheet."""
    try:
        book = load_workbook(BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        check.problems.append(ImportProblem(1, "", "not_a_workbook"))
        return None
    try:
        sheet = book[CASES_SHEET] if CASES_SHEET in book.sheetnames else book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = list(next(rows, None) or [])
        body = []
        for number, cells in enumerate(rows, start=2):
            if any(c is not None and str(c).strip() for c in cells):
                body.append((number, list(cells)))
                if len(body) > MAX_ROWS:
                    break
        return header, body
    finally:
        book.close()


def _read_csv(content: bytes, check: ImportCheck) -> tuple[list[Any], list[tuple[int, list[Any]]]] | None:
    """The same from a CSV file, UTF-8 (with or without the BOM the ledger export writes)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = ""
    if not text.strip() or "\x00" in text:
        check.problems.append(ImportProblem(1, "", "not_a_workbook"))
        return None
    rows = csv.reader(io.StringIO(text, newline=""))
    header: list[Any] = list(next(rows, []))
    body: list[tuple[int, list[Any]]] = []
    for number, cells in enumerate(rows, start=2):
        if any(c.strip() for c in cells):
            body.append((number, list(cells)))
            if len(body) > MAX_ROWS:
                break
    return header, body


def _match_header(header: list[Any], columns: list[Column], check: ImportCheck) -> dict[str, int]:
    """field id (KEY_HEADER for the case number) -> cell index; header problems noted."""
    at: dict[str, int] = {}
    known = {name: c.field.id for c in columns for name in c.headers}
    fields = {c.field.id for c in columns}
    known.update({normal_header(k): KEY_HEADER for k in KEY_ALIASES})
    for index, text in enumerate(header):
        name = normal_header(text)
        if not name:
            continue
        target = known.get(name)
        if target is None:
            exported = export_column(name)
            read_as = READ_BACK.get(exported or "")
            if read_as is not None and (read_as == FLAGS or read_as in fields):
                target = read_as
            elif exported is not None:
                check.problems.append(ImportProblem(1, str(text), "not_imported"))
                continue
        if target is None:
            check.problems.append(ImportProblem(1, str(text), "unknown_column"))
        elif target in at:
            check.problems.append(ImportProblem(1, str(text), "duplicate_column"))
        else:
            at[target] = index
    for column in columns:
        if column.required and column.field.default in (None, "") and column.field.id not in at:
            check.problems.append(ImportProblem(1, column.header, "missing_column"))
    return at


def _row_problems(number: int, accepted: dict[str, Any] | Exception, headers: dict[str, str],
                  columns: list[Column]) -> list[ImportProblem]:
    if isinstance(accepted, dict):
        return []
    if isinstance(accepted, FormInvalid):
        options = {c.field.id: "、".join(c.choices()) for c in columns}
        return [ImportProblem(number, headers.get(fid, fid), p.code,
                              options.get(fid) if p.code == "not_an_option" else p.limit)
                for fid, p in accepted.problems.items()]
    return [ImportProblem(number, headers.get(getattr(accepted, "field", "") or "", ""), "invalid", str(accepted))]


def _derived_key(data: dict[str, Any]) -> str:
    """A case number from the row's content (without its campaign): the same row, the same key."""
    content = {k: v for k, v in data.items() if k != "campaign_id"}
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False, default=str).encode())
    return "IMP-" + digest.hexdigest()[:16]
