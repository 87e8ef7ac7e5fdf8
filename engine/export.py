"""History export: the events of one case or a campaign, with their chain hashes and the signed
checkpoints that cover them, as JSON Lines or CSV that `tools/verify_export.py` checks offline.

Every line is written in one canonical form (JSON: sorted keys, no spaces; CSV: the csv module's
minimal quoting, LF endings), so the verifier can tell any changed byte: a line that is not in
that form, an event whose content does not match its hash, or a checkpoint whose proof or
signature fails.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .chain import GENESIS, IMPLIED, canonical, hash_of, sealed, utc
from .checkpoints import covering
from .models import Event, Instance

_EVENTS = Event.metadata.tables[Event.__tablename__]
FORMATS = ("jsonl", "csv")
#: The CSV columns, in order; JSON values (detail, changes, proof) are canonical JSON text.
COLUMNS = ("kind", "instance", "seq", "type", "element", "task", "actor", "at", "detail", "changes", "format",
           "data_digest", "tasks_digest", "prev_hash", "hash", "checkpoint", "proof", "statement", "signature")


def cases_of(s: Session, *, instance_id: int | None = None, campaign_id: str | None = None) -> list[int]:
    """The ids of the cases an export covers: one case, or every case of a campaign."""
    q = select(Instance.id)
    if instance_id is not None:
        q = q.where(Instance.id == instance_id)
    if campaign_id is not None:
        q = q.where(Instance.campaign_id == campaign_id)
    return list(s.scalars(q.order_by(Instance.id)))


def event_record(row: Any, prev_hash: str | None = None) -> dict[str, Any]:
    """An event as exported, in one form for every format: hashes and digests in hex, and a
    format-3 event's previous hash, implied in the database by sequence order, written out
    (`prev_hash`: the hash of the event before), so the export checks offline as the others do."""
    seal = sealed(row)
    implied = (row.format or 1) >= 3 and row.prev_hash == IMPLIED and prev_hash is not None
    return {
        "kind": "event", "instance": row.instance_id, "seq": row.seq, "type": row.type,
        "element": row.element_id, "task": row.task_id, "actor": row.actor,
        "at": utc(row.at).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "detail": row.detail or {},
        "changes": row.changes or {}, "format": row.format or 1, "data_digest": seal.data_digest,
        "tasks_digest": seal.tasks_digest, "prev_hash": prev_hash if implied else row.prev_hash,
        "hash": hash_of(row),
    }


def records(s: Session, instance_ids: list[int], progress: Callable[[int], None] | None = None
            ) -> Iterator[dict[str, Any]]:
    """Every event of the cases, case by case in order, then the checkpoints covering them."""
    for n, instance_id in enumerate(instance_ids, start=1):
        q = select(_EVENTS).where(_EVENTS.c.instance_id == instance_id).order_by(_EVENTS.c.seq)
        prev = GENESIS
        for row in s.execute(q):
            yield event_record(row, prev)
            prev = hash_of(row)
        if progress is not None:
            progress(n)
    yield from covering(s, set(instance_ids))


def csv_line(record: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([_cell(record.get(column)) for column in COLUMNS])
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return canonical(value)
    return str(value)


def lines(s: Session, instance_ids: list[int], fmt: str, progress: Callable[[int], None] | None = None
          ) -> Iterator[str]:
    """The export, one text line at a time (each ends with a newline)."""
    if fmt not in FORMATS:
        raise ValueError(f"export format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if fmt == "csv":
        yield ",".join(COLUMNS) + "\n"
        for record in records(s, instance_ids, progress):
            yield csv_line(record)
    else:
        for record in records(s, instance_ids, progress):
            yield canonical(record) + "\n"
