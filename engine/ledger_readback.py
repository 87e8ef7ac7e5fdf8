"""Reading the ledger export (engine/ledger_export.py) back in as a ledger file to import.

"Export → import into a fresh campaign gives the same ledger": a file the office downloaded
(.xlsx or CSV, Chinese or English headers) is a file the import takes. Its registration
columns (case number, petitioners, subject, flags, campaign, received on) fill the
registration form's fields; the columns later steps of a case decide (colour, leader,
deadlines, status …) cannot be set by an import and are reported once as not imported, not as
errors.

The headers are matched by the names the web app's export writes in either language (its
catalogue, webapp/ledger_files.py): a web test checks that every header and flag label the
export writes is known here, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

import re
from typing import Any

from .ledger_export import COLUMNS, FLAG_FIELDS

#: The export's columns the import reads, and the form field each fills ("flags" is split
#: into the registration form's yes/no fields).
READ_BACK: dict[str, str] = {
    "petitioner_names": "petitioner_names",
    "petitioner_count": "petitioner_count",
    "subject": "subject",
    "petition_source": "petition_source",
    "demand": "demand",
    "campaign_id": "campaign_id",
    "received_at": "received_at",
    "flags": "flags",
}
#: Header names of the export columns, as the export writes them (zh-CN and English), by column.
EXPORT_HEADERS: dict[str, tuple[str, ...]] = {
    "business_key": ("案件编号", "Case number"),
    "petitioner_names": ("信访人", "Petitioner"),
    "petitioner_count": ("信访人数", "Number of petitioners"),
    "subject": ("事项类别", "Subject of the matter"),
    "flags": ("标记", "Flags"),
    "petition_source": ("信访来源", "Source of the petition"),
    "demand": ("诉求", "Demand"),
    "risk_colour": ("风险等级", "Risk colour"),
    "case_class": ("类别", "Class"),
    "case_leader": ("包案领导", "Case leader"),
    "case_handler": ("承办人", "Case handler"),
    "campaign_id": ("专项行动", "Campaign"),
    "campaign_phase": ("专项行动阶段", "Campaign phase"),
    "phases": ("所处环节", "Current steps"),
    "received_at": ("收到日期", "Received on"),
    "accept_deadline": ("受理期限", "Acceptance deadline"),
    "handling_deadline": ("办理期限", "Handling deadline"),
    "reply_deadline": ("答复期限", "Reply deadline"),
    "next_due_at": ("最近期限", "Next deadline"),
    "days_overdue": ("超期天数", "Days overdue"),
    "status": ("状态", "Status"),
    "resolved": ("化解", "Resolved (化解)"),
    "petitioning_stopped": ("息访", "Petitioning stopped (息访)"),
}
#: The flags of the 标记 column by the names the export writes them (and their keys).
FLAG_NAMES: dict[str, tuple[str, ...]] = {
    "backlog_case": ("积案", "Backlog case"),
    "three_cross": ("三跨", "Three-cross"),
    "three_separation": ("三分离", "Three-separation"),
    "collective_petition": ("集体访", "Collective petition"),
    "escalated_petition": ("越级访", "Escalated petition"),
    "repeat_petition": ("重复信访", "Repeat petition"),
    "extreme_statement": ("过激言行", "Extreme statements"),
    "handling_overdue": ("办理超期", "Handling overdue"),
    "named_in_bulletin": ("通报点名", "Named in the bulletin"),
    "litigation": ("涉法涉诉", "Litigation-related"),
    "final_petitions": ("终结后信访", "Petitioned after finality"),
}
#: What separates the flags in one cell (the export writes 、).
_SEPARATORS = re.compile(r"[、,，;；/]")


def export_column(name: str) -> str | None:
    """The export column a (normalised, lower-case) header names, or None."""
    return _BY_HEADER.get(name)


def flag_fields(cell: Any, form_fields: set[str]) -> dict[str, bool] | str:
    """A 标记 cell as the form's yes/no fields it sets: a flag the form has is True, every other
    flag field of the form False (the export lists only the flags a case carries). Flags a later
    step decides (a litigation subject, petitions after finality, overdue…) set nothing. An
    unknown flag name is returned as it is, for the row's problem."""
    settable = [f for f in FLAG_FIELDS if f in form_fields]
    found = {f: False for f in settable}
    for part in _SEPARATORS.split(str(cell or "").strip()):
        part = part.strip()
        if not part:
            continue
        key = _BY_FLAG.get(part.lower())
        if key is None:
            return part
        if key in found:
            found[key] = True
    return found


def _normal(text: str) -> str:
    return text.strip().lower()


_BY_HEADER = {_normal(name): column for column, names in EXPORT_HEADERS.items() for name in (*names, column)}
_BY_FLAG = {_normal(name): key for key, names in FLAG_NAMES.items() for name in (*names, key)}
assert set(EXPORT_HEADERS) == set(COLUMNS), "every export column has its header names"
