"""The audit page of a case (`/cases/N/audit?step=K`): every event with the data before and after
each change, a step control that redraws the diagram and the data as they stood after any step
(plain links without JavaScript), and the case's deadlines. Read-only, for auditors (督导检查)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, abort, render_template, request, url_for

from engine import EventView, InstanceView, ReplayView, replay_events
from webapp import access, operation_log
from webapp.auth import current_user, require
from webapp.cases import DEADLINES, xml_download
from webapp.durations import format_duration
from webapp.i18n import DISPLAY_ZONE
from webapp.labels import data_labels, element_names, event_label, value_names
from webapp.services import accounts, engine
from webapp.tasks import summary

bp = Blueprint("case_audit", __name__, url_prefix="/cases")
bp.add_app_template_filter(format_duration, "duration")


@dataclass(frozen=True)
class Step:
    """Where the step control stands: the step shown, of how many."""

    current: int
    last: int

    @property
    def previous(self) -> int | None:
        return self.current - 1 if self.current > 1 else None

    @property
    def next(self) -> int | None:
        return self.current + 1 if self.current < self.last else None


@dataclass(frozen=True)
class Clock:
    """A statutory clock as the page shows it: days left, or days overdue (at the close if ended)."""

    key: str
    due_at: datetime | None
    days: int | None
    changes: list[Any]


def _case(instance_id: int) -> InstanceView:
    if not 0 < instance_id < 2**31:
        abort(404)
    instance = engine().instance(instance_id)
    operation_log.note_case_read(instance_id)  # an auditor's read is itself in the operation log
    return instance


def _step(history: list[EventView]) -> Step:
    """The step asked for (?step=K, the last when not given); 404 outside the history."""
    last = history[-1].seq if history else 0
    asked = request.args.get("step")
    if asked is None or asked == "":
        return Step(last, last)
    if not (asked.isascii() and asked.isdigit()) or not 1 <= int(asked) <= last:
        abort(404)
    return Step(int(asked), last)


def _state(instance: InstanceView, replay: ReplayView, event: EventView | None, step: Step,
           xml: bytes) -> dict[str, Any]:
    """What the step panel draws: the replay at the step, its event, and the labelled data."""
    labels = data_labels(xml)
    shown, other = summary(replay.data, labels)
    # The step links keep the event filters, so stepping does not reset the list.
    keep = {k: request.args[k] for k in ("type", "actor") if request.args.get(k)}
    return dict(instance=instance, step=step, event=event, keep=keep, names=element_names(xml), labels=labels,
                options=value_names(xml), summary=shown, other_data=other,
                markers={"completed": replay.completed, "active": replay.active,
                         "waiting": replay.waiting, "cancelled": replay.cancelled},
                state_url=url_for("case_audit.state", instance_id=instance.id))


def _clocks(found: list[Any], instance: InstanceView, now: datetime) -> list[Clock]:
    """Days left (positive) or overdue (negative) per clock, counted to the close if the case ended."""
    until = (instance.ended_at or now).astimezone(DISPLAY_ZONE).date()
    order = {key: n for n, key in enumerate(DEADLINES)}
    clocks = [Clock(c.key, c.due_at, (c.due_at.astimezone(DISPLAY_ZONE).date() - until).days if c.due_at else None,
                    c.changes) for c in found]
    return sorted(clocks, key=lambda c: (order.get(c.key, len(order)), c.key))


@bp.get("/<int:instance_id>/audit")
@require(access.AUDIT)
def show(instance_id: int) -> str:
    """The audit page: events (filtered by type and actor), the replay at a step, the deadlines."""
    instance = _case(instance_id)
    history = engine().history(instance_id)  # read once: replay and deadlines work from it
    step = _step(history)
    xml = engine().diagram_xml(instance.process_key, instance.version)
    kind, actor = request.args.get("type", ""), request.args.get("actor", "")
    events = [e for e in history if (not kind or e.type == kind) and (not actor or e.actor == actor)]
    deadlines = engine().stats.deadlines(instance_id, history)
    known = {u.username: u.label for u in accounts().users()}  # one read, not one per actor
    people = {a: known.get(a, a) for a in sorted({e.actor for e in history})}
    user = current_user()
    return render_template(
        "cases/audit.html", events=events,
        **_state(instance, replay_events(instance_id, history, step.current),
                 next((e for e in history if e.seq == step.current), None), step, xml),
        type_labels={t: event_label(t) for t in sorted({e.type for e in history})}, actors=people,
        chosen_type=kind, chosen_actor=actor,
        deadlines=deadlines, clocks=_clocks(deadlines.clocks, instance, engine().clock()),
        may_open_case=access.has_any(user.groups, access.READ_ALL),
    )


@bp.get("/<int:instance_id>/audit/state")
@require(access.AUDIT)
def state(instance_id: int) -> str:
    """The step panel alone (step control, event, data, markers), for the page's script: the
    events up to the step are read, not the whole history."""
    instance = _case(instance_id)
    asked = request.args.get("step", "")
    plain = asked.isascii() and asked.isdigit() and len(asked) < 10
    found = engine().stats.step(instance_id, int(asked)) if plain else None
    if found is None:
        abort(404)
    xml = engine().diagram_xml(instance.process_key, instance.version)
    step = Step(found.event.seq, found.last)
    return render_template("cases/_audit_state.html", **_state(instance, found.replay, found.event, step, xml))


@bp.get("/<int:instance_id>/audit/export")
@require(access.AUDIT)
def export(instance_id: int) -> Response:
    """The case's history as JSON Lines or CSV, with the chain hashes and the checkpoints that
    cover it, for an outside auditor's `tools/verify_export.py` (the export is logged)."""
    _case(instance_id)
    return operation_log.export_response([instance_id], request.args.get("format", "jsonl"),
                                         f"case-{instance_id}-history")


@bp.get("/<int:instance_id>/audit/diagram.xml")
@require(access.AUDIT)
def diagram(instance_id: int) -> Response:
    """The case's diagram for the audit page's viewer, sent as the case page sends it (`cases.diagram`)."""
    instance = _case(instance_id)
    return xml_download(engine().diagram_xml(instance.process_key, instance.version), instance.process_key)
