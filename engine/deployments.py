"""Deployments: validate a diagram, store each process (or decision) of it as a version, read them back."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import deploy as parsing
from . import operations, persistence
from .clock import Clock
from .errors import DiagramInvalid, Problem, ProcessNotFound
from .forms import fields_of, process_defaults
from .models import Deployment
from .operations import Action
from .rows import deployment_view
from .transactions import Transactions
from .views import Deployment as DeploymentView
from .views import FormField

# Two deployers of the same key race for its next version number; the loser tries again.
_DEPLOY_ATTEMPTS = 3


@dataclass(frozen=True)
class DiagramCheck:
    """What validating one diagram found: its kind and ids when it would deploy, else its problems."""

    name: str
    kind: str | None
    ids: list[str]
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        """True when the diagram would deploy."""
        return not self.problems


class Deployments:
    """Diagram versions: deploy (validated first, nothing stored when anything is wrong) and read."""

    def __init__(self, tx: Transactions, clock: Clock) -> None:
        self.tx = tx
        self.clock = clock
        self._specs = persistence.SpecCache()
        self._elements: dict[int, dict[str, Any]] = {}
        self._defaults: dict[int, dict[str, Any]] = {}

    def check(self, sources: list[Path | str | bytes]) -> list[DiagramCheck]:
        """Validate diagrams together: decision tables among them count for the BPMN files after them."""
        pending: list[tuple[str, bytes]] = []
        checks = []
        for source in sources:
            name, raw = parsing.read_source(source)
            try:
                diagram, _ = parsing.parse_diagram(source, self.decision_sources() + pending, self._call_problems)
            except DiagramInvalid as exc:
                checks.append(DiagramCheck(name, None, [], exc.problems))
                continue
            if diagram.kind == "dmn":
                pending.append((name, raw))
            checks.append(DiagramCheck(name, diagram.kind, diagram.process_ids or diagram.decision_ids, []))
        return checks

    def validate(self, source: Path | str | bytes) -> list[Problem]:
        """Every problem of a diagram (empty when it would deploy)."""
        return self.check([source])[0].problems

    def decision_sources(self) -> list[tuple[str, bytes]]:
        """Name and bytes of the newest version of every deployed DMN file."""
        with self.tx.read() as s:
            latest = (
                select(Deployment.process_key, func.max(Deployment.version))
                .where(Deployment.kind == "dmn")
                .group_by(Deployment.process_key)
            )
            out: dict[str, tuple[str, bytes]] = {}
            for key, version in s.execute(latest).all():
                dep = s.scalars(
                    select(Deployment).where(Deployment.process_key == key, Deployment.version == version)
                ).one()
                out[dep.content_hash] = (f"{key}.dmn", dep.source)
            return list(out.values())

    def deploy(self, source: Path | str | bytes, *, actor: str, note: str | None = None) -> list[DeploymentView]:
        """Validate fully, then deploy every executable process (or decision) of a diagram.

        Same content again gives the same version; changed content gives version + 1.
        Raises DiagramInvalid (with `.problems`) and deploys nothing when anything is wrong.
        `note` is the designer's change note of a new version.
        """
        diagram, parser = parsing.parse_diagram(source, self.decision_sources(), self._call_problems)
        root = diagram.tree.getroot()
        elements = parsing.element_metadata(root) if diagram.kind == "bpmn" else {}
        keys = diagram.process_ids if diagram.kind == "bpmn" else diagram.decision_ids
        specs = {pid: persistence.spec_to_dict(parser, pid) for pid in diagram.process_ids}
        problems = self._resolve_calls(diagram, specs, elements)
        if problems:
            raise DiagramInvalid(problems)
        for attempt in range(_DEPLOY_ATTEMPTS):
            try:
                with self.tx.write() as s:
                    result = []
                    for key in keys:
                        latest = s.scalars(
                            select(Deployment)
                            .where(Deployment.process_key == key)
                            .order_by(Deployment.version.desc())
                            .limit(1)
                        ).first()
                        if latest is not None and latest.content_hash == diagram.content_hash:
                            result.append(deployment_view(latest))
                            continue
                        dep = Deployment(
                            process_key=key,
                            version=(latest.version + 1) if latest else 1,
                            kind=diagram.kind,
                            name=diagram.process_names.get(key),
                            content_hash=diagram.content_hash,
                            source=diagram.raw,
                            spec=specs.get(key),
                            elements=elements,
                            deployed_at=self.clock(),
                            deployed_by=actor,
                            change_note=note or None,
                        )
                        s.add(dep)
                        s.flush()
                        operations.append(s, Action.DEPLOY, at=dep.deployed_at, actor=actor,
                                          target=f"{key} version {dep.version}",
                                          before={"version": latest.version} if latest else None,
                                          after={"version": dep.version, "content_hash": dep.content_hash,
                                                 "note": note or None})
                        result.append(deployment_view(dep))
                    return result
            except IntegrityError:
                if attempt == _DEPLOY_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def _call_problems(self, diagram: parsing.ParsedDiagram) -> list[Problem]:
        return self._resolve_calls(diagram, {})

    def _resolve_calls(self, diagram: parsing.ParsedDiagram, specs: dict[str, dict[str, Any]],
                       elements: dict[str, Any] | None = None) -> list[Problem]:
        """Give each process the deployed specs its call activities name (the latest version, or
        the one camunda:calledElementVersion pins), else one problem per calling element. The
        called file's element metadata (assignees, groups, forms) joins `elements`: its tasks
        are offered as that file draws them; the calling file's own ids win."""
        problems: list[Problem] = []
        with self.tx.read() as s:
            for pid, calls in diagram.external_calls.items():
                for call in calls:
                    try:
                        dep = self.row(s, call.process_id, call.version)
                    except ProcessNotFound:
                        where = (call.caller, call.line, diagram.name)
                        problems.append(
                            Problem.of("call_version_missing", *where, version=call.version, process=call.process_id)
                            if call.version else Problem.of("call_missing", *where, process=call.process_id))
                        continue
                    if pid in specs and dep.spec is not None:
                        subs = specs[pid]["subprocess_specs"]
                        subs.setdefault(call.process_id, dep.spec["spec"])
                        for name, sub in dep.spec["subprocess_specs"].items():
                            subs.setdefault(name, sub)
                    if elements is not None:
                        for ident, meta in (dep.elements or {}).items():
                            if meta.get("type") != "process":
                                elements.setdefault(ident, meta)
        return problems

    def all(self) -> list[DeploymentView]:
        """Every deployment, newest version of each key first."""
        with self.tx.read() as s:
            rows = s.scalars(select(Deployment).order_by(Deployment.process_key, Deployment.version.desc()))
            return [deployment_view(d) for d in rows]

    def process_names(self) -> dict[tuple[str, int], str]:
        """The name each deployed process version's diagram gives it: (key, version) -> name."""
        with self.tx.read() as s:
            rows = s.execute(select(Deployment.process_key, Deployment.version, Deployment.name)
                             .where(Deployment.kind == "bpmn", Deployment.name.is_not(None)))
            return {(key, version): name for key, version, name in rows.all()}

    def source(self, process_key: str, version: int | None = None) -> bytes:
        """The diagram source a process (or decision) version was deployed from."""
        with self.tx.read() as s:
            return self.row(s, process_key, version, kind=None).source

    def task_forms(self, process_key: str, version: int | None) -> dict[str, tuple[str | None, list[FormField]]]:
        """Every human task of a process version: element id -> (name, form)."""
        with self.tx.read() as s:
            elements = self.elements(s, self.row(s, process_key, version).id)
            return {k: (m.get("name"), fields_of(m)) for k, m in elements.items() if "form" in m}

    def row(self, s: Session, key: str, version: int | None, kind: str | None = "bpmn") -> Deployment:
        """The deployment row of a key at a version (the newest when None); ProcessNotFound if none."""
        q = select(Deployment).where(Deployment.process_key == key)
        if kind:
            q = q.where(Deployment.kind == kind)
        if version is not None:
            q = q.where(Deployment.version == version)
        dep = s.scalars(q.order_by(Deployment.version.desc()).limit(1)).first()
        if dep is None:
            raise ProcessNotFound(key, version)
        return dep

    def specs(self, s: Session, deployment_id: int) -> persistence.Specs:
        """The process specs of a deployment (rebuilt once per version, then shared)."""
        def load() -> dict[str, Any]:
            spec: dict[str, Any] | None = s.scalar(select(Deployment.spec).where(Deployment.id == deployment_id))
            assert spec is not None, "a BPMN deployment always stores its spec"
            return spec

        return self._specs.get(deployment_id, load)

    def elements(self, s: Session, deployment_id: int) -> dict[str, Any]:
        """The element metadata of a deployment (read once per version: it never changes)."""
        found = self._elements.get(deployment_id)
        if found is None:
            stored = s.scalar(select(Deployment.elements).where(Deployment.id == deployment_id))
            found = self._elements[deployment_id] = dict(stored or {})
        return found

    def form_defaults(self, s: Session, deployment_id: int) -> dict[str, Any]:
        """The typed default of every form field of a deployment (read once per version)."""
        found = self._defaults.get(deployment_id)
        if found is None:
            found = self._defaults[deployment_id] = process_defaults(self.elements(s, deployment_id))
        return found

    def forget_cached(self) -> None:
        """Drop the cached specs and element metadata; they are read from the database again."""
        self._specs = persistence.SpecCache()
        self._elements.clear()
        self._defaults.clear()
