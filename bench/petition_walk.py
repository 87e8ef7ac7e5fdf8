"""What the benches need to walk a petition case as an office does: the users the forms
pick (holding the field's role) and the case documents they refer to (recorded first)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from engine import Engine

#: The clock a walk runs at: after MAIN_PATH's reply delivery date (a date not in the future).
WALK_CLOCK = datetime(2026, 3, 21, 1, 0, tzinfo=UTC)
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
