"""One page of an instance's timeline with the replay markers, from one read of its history.

The case page shows a page of events (newest first) and marks the diagram with what
`replay_events` says. For that it needs every event's type, element and task, but the
data of the events on the page only: the rest are read without decoding their JSON.
Replaying to an earlier step (an auditor's ?step=N) also needs the data, so it reads
the events up to that step in full.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Text, cast, select

from .chain import folds
from .history import EVENT_TABLE, replay_events, to_view
from .transactions import Transactions
from .views import TimelineView

_EMPTY = ("{}", "null", "")


class _Outline:
    """An event without its data: what replay's markers and the timeline filter read."""

    __slots__ = ("seq", "type", "element_id", "task_id", "changed", "changes", "detail")

    def __init__(self, seq: int, type_: str, element_id: str | None, task_id: str | None, changes: str | None,
                 detail: str | None = None) -> None:
        self.seq, self.type, self.element_id, self.task_id = seq, type_, element_id, task_id
        self.changed = changes is not None and changes.strip() not in _EMPTY
        self.changes: dict[str, Any] = {}
        # Only the steps a format-3 event folded (replay marks them), decoded when there are any.
        folded = json.loads(detail) if detail is not None and folds(detail) else {}
        self.detail: dict[str, Any] = {k: folded[k] for k in ("passed", "opened") if k in folded}


def shown(event: _Outline, named: Collection[str]) -> bool:
    """Whether people read this event in the timeline: engine steps through unnamed
    elements (gateways, joins) that changed no data are left out, unless they opened a
    person's task (format 3 lists it in the step's event)."""
    return not (event.type.startswith("element_") and (event.element_id or "") not in named and not event.changed
                and not event.detail.get("opened"))


class Timeline:
    """Pages of an instance's timeline (`Engine.timeline`)."""

    def __init__(self, tx: Transactions) -> None:
        self.tx = tx

    def page(self, instance_id: int, *, page: int, per_page: int, named: Collection[str],
             step: int | None = None) -> TimelineView:
        """Page `page` (from 1, clamped) of the events people read, newest first, up to `step`
        (default: the last event), and the instance replayed to there."""
        c = EVENT_TABLE.c
        with self.tx.read() as s:
            self.tx.instance(s, instance_id)
            rows = s.execute(select(c.seq, c.type, c.element_id, c.task_id, cast(c.changes, Text), cast(c.detail, Text))
                             .where(c.instance_id == instance_id).order_by(c.seq))
            outline = [_Outline(*row) for row in rows]
            last = outline[-1].seq if outline else 0
            upto = last if step is None else step
            data: dict[str, Any] | None = None
            replayed_at: datetime | None = None
            if step is None:  # the markers only: the page shows the instance's own data
                replay = replay_events(instance_id, outline, upto)
            else:
                full = s.execute(select(EVENT_TABLE).where(c.instance_id == instance_id, c.seq <= upto).order_by(c.seq))
                views = [to_view(r) for r in full]
                replay = replay_events(instance_id, views, upto)
                data = replay.data
                replayed_at = views[-1].at if views else None
            visible = [e.seq for e in reversed(outline) if e.seq <= upto and shown(e, named)]
            pages = max(1, -(-len(visible) // per_page))
            page = min(max(page, 1), pages)
            wanted = visible[(page - 1) * per_page:page * per_page]
            events = []
            if wanted:
                found = s.execute(select(EVENT_TABLE).where(c.instance_id == instance_id, c.seq.in_(wanted))
                                  .order_by(c.seq.desc()))
                events = [to_view(r) for r in found]
        return TimelineView(instance_id=instance_id, events=events, page=page, pages=pages, last_seq=last,
                            step=upto, completed=replay.completed, active=replay.active, waiting=replay.waiting,
                            cancelled=replay.cancelled, data=data,
                            replayed_at=replayed_at)
