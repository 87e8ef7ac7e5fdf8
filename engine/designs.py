"""Designs: the designer's drafts (kept per user, may have errors) and each process's versions.

A draft is only stored once it is a BPMN or DMN document read safely (UTF-8, no DOCTYPE or
entities, within the size limit); whether it would deploy is `Engine.check`'s business.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import deploy as parsing
from . import history as hist
from .clock import Clock
from .decisions import try_decision
from .errors import DiagramInvalid, DraftNotFound, Problem
from .models import Deployment, DesignDraft, Instance
from .states import InstanceStatus
from .transactions import Transactions
from .views import DecisionResult, DraftView, VersionView

_ACTIVE = (InstanceStatus.RUNNING, InstanceStatus.WAITING)


def diagram_kind(name: str, source: bytes) -> str:
    """"bpmn" or "dmn" for a document read safely; DiagramInvalid (nothing stored) for anything else."""
    root = parsing.parse_xml(name, source).getroot()
    tag = root.tag if isinstance(root.tag, str) else ""
    namespace, _, local = tag.lstrip("{").partition("}")
    if local == "definitions" and namespace == parsing.BPMN_NS:
        return "bpmn"
    if local == "definitions" and namespace in parsing.DMN_NAMESPACES:
        return "dmn"
    raise DiagramInvalid([Problem.of("not_bpmn_or_dmn", file=name, root=local or tag)])


class Designs:
    """Drafts per designer, and the versions of each process with their running instances."""

    def __init__(self, tx: Transactions, clock: Clock, scripts: PythonScriptEngine) -> None:
        self.tx = tx
        self.clock = clock
        self.scripts = scripts

    def try_decision(self, source: bytes, inputs: dict[str, Any], decision_id: str | None = None) -> DecisionResult:
        """Which rules of a decision table hit for `inputs`, and its outputs (the designer's test box)."""
        return try_decision(source, inputs, self.scripts, decision_id)

    # -- versions -----------------------------------------------------------------

    def versions(self, process_key: str) -> list[VersionView]:
        """Every version of a process, newest first, with its change note and running-instance count."""
        with self.tx.read() as s:
            counts = s.execute(
                select(Instance.version, func.count())
                .where(Instance.process_key == process_key, Instance.status.in_(_ACTIVE))
                .group_by(Instance.version)
            ).all()
            running: dict[int, int] = {version: count for version, count in counts}
            rows = s.scalars(select(Deployment).where(Deployment.process_key == process_key)
                             .order_by(Deployment.version.desc()))
            return [VersionView(d.process_key, d.version, d.kind, d.name, d.content_hash, hist.utc(d.deployed_at),
                                d.deployed_by, d.change_note, int(running.get(d.version, 0))) for d in rows]

    def running_instances(self, process_key: str, version: int | None = None) -> list[int]:
        """Ids of the running and waiting instances of a process (of one version), oldest first."""
        with self.tx.read() as s:
            q = select(Instance.id).where(Instance.process_key == process_key, Instance.status.in_(_ACTIVE))
            if version is not None:
                q = q.where(Instance.version == version)
            return list(s.scalars(q.order_by(Instance.id)))

    # -- drafts -------------------------------------------------------------------

    def save_draft(self, owner: str, name: str, source: bytes, *, draft_id: int | None = None,
                   process_key: str | None = None, base_version: int | None = None) -> DraftView:
        """Store a new draft, or replace the source of `owner`'s draft `draft_id`."""
        kind = diagram_kind(name, source)
        now = self.clock()
        with self.tx.write() as s:
            if draft_id is None:
                row = DesignDraft(owner=owner, name=name, kind=kind, process_key=process_key,
                                  base_version=base_version, source=source, created_at=now, updated_at=now)
                s.add(row)
            else:
                row = self._row(s, owner, draft_id)
                row.name, row.kind, row.source, row.updated_at = name, kind, source, now
            s.flush()
            return _draft_view(row)

    def drafts(self, owner: str) -> list[DraftView]:
        """`owner`'s drafts, the most recently saved first (without their sources)."""
        with self.tx.read() as s:
            rows = s.scalars(select(DesignDraft).where(DesignDraft.owner == owner)
                             .order_by(DesignDraft.updated_at.desc(), DesignDraft.id.desc()))
            return [_draft_view(r, with_source=False) for r in rows]

    def draft(self, owner: str, draft_id: int) -> DraftView:
        """One of `owner`'s drafts with its source; DraftNotFound for anyone else's."""
        with self.tx.read() as s:
            return _draft_view(self._row(s, owner, draft_id))

    def delete_draft(self, owner: str, draft_id: int) -> None:
        """Throw away one of `owner`'s drafts (a draft is a work file, not history)."""
        with self.tx.write() as s:
            s.delete(self._row(s, owner, draft_id))

    def _row(self, s: Session, owner: str, draft_id: int) -> DesignDraft:
        row = s.get(DesignDraft, draft_id)
        if row is None or row.owner != owner:
            raise DraftNotFound(draft_id)
        return row


def _draft_view(row: DesignDraft, *, with_source: bool = True) -> DraftView:
    return DraftView(row.id, row.owner, row.name, row.kind, row.process_key, row.base_version,
                     hist.utc(row.created_at), hist.utc(row.updated_at), row.source if with_source else None)
