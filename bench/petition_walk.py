"""What the benches need to walk a petition case as an office does: the users the forms
pick (holding the field's role) and the case documents they refer to (recorded first)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from engine import Engine
from webapp.sample_case import MAIN_PATH

#: The clock a walk runs at: the day MAIN_PATH's petition is received, 09:00 in Beijing.
WALK_CLOCK = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
#: MAIN_PATH with the reply delivered on the walk's day (a delivery date may not be in the future).
WALK_PATH: list[tuple[str, dict[str, Any]]] = [
    (element, {**data, "reply_delivered_on": WALK_CLOCK.astimezone(timezone(timedelta(hours=8))).date().isoformat()}
     if element == "record_reply" else data)
    for element, data in MAIN_PATH
]
#: The people MAIN_PATH names in user fields, and the role each field asks for.
PEOPLE = {"leader": "case_leader", "handler": "case_handler"}


def prepare(engine: Engine) -> None:
    """Add the users MAIN_PATH picks (cheap password hashes: only forms look them up)."""
    engine.accounts.scrypt_n = 2**4
    for name, role in PEOPLE.items():
        if engine.accounts.find_user(name) is None:
            engine.accounts.add_user(name, "bench password 1", [role])


def provide_documents(engine: Engine, instance_id: int, task_id: str, data: dict[str, Any]) -> None:
    """Record each document a form field of the task names, as an upload would, before completing it."""
    known = {a.id for a in engine.attachments.list(instance_id)}
    for f in engine.task(task_id).form:
        value = data.get(f.id)
        if f.type not in ("document", "file") or not value:
            continue
        for ref in value if isinstance(value, list) else [value]:
            if str(ref) not in known:
                engine.attachments.add(instance_id, attachment_id=str(ref), filename=f"{ref}.pdf", size=1,
                                       sha256="0" * 64, content_type="application/pdf", actor="bench")
                known.add(str(ref))
