"""`Engine.audit`: the operation log, signed checkpoints, history verification against them, and
history export. The auditor's entry points, kept out of engine/service.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from . import checkpoints, export, operations
from .clock import Clock
from .config import Settings
from .errors import EngineError
from .history import History
from .operations import Action, OperationFilter, OperationReport, OperationView, Origin
from .transactions import Transactions
from .views import BrokenLink, ChainReport


class AuditError(EngineError):
    """An audit operation cannot go ahead (no key, bad key, unknown export format...)."""


@dataclass(frozen=True)
class AuditReport:
    """verify-history with everything it checked: the case chains (and their state digests),
    the operation log, and, when given, the signed checkpoints."""

    chains: ChainReport
    operations: OperationReport
    checkpoints_read: int = 0
    rewritten: list[BrokenLink] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.chains.ok and self.operations.ok and not self.rewritten and not self.problems


class Audit:
    """The operation log, checkpoints and exports (reads and appends only, never a change)."""

    def __init__(self, tx: Transactions, history: History, settings: Settings, clock: Clock) -> None:
        self.tx = tx
        self.history = history
        self.settings = settings
        self.clock = clock

    # -- operation log -------------------------------------------------------------------

    @staticmethod
    def acting_as(actor: str, address: str | None = None) -> AbstractContextManager[Origin]:
        """Within the block, operation-log entries name this actor (where the operation names
        none) and this client address: the web app wraps each request in it."""
        return operations.acting_as(actor, address)

    begin_origin = staticmethod(operations.begin_origin)
    name_actor = staticmethod(operations.name_actor)
    end_origin = staticmethod(operations.end_origin)

    def record(self, action: Action | str, *, actor: str, target: str | None = None,
               before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> None:
        """Append one entry (for what only the caller sees: a read of personal data, a download)."""
        with self.tx.write() as s:
            operations.append(s, Action(action), at=self.clock(), actor=actor, target=target,
                                     before=before, after=after)

    def operations(self, flt: OperationFilter | None = None) -> list[OperationView]:
        """Operation-log entries, newest first, narrowed by the filter."""
        with self.tx.read() as s:
            return operations.entries(s, flt or OperationFilter())

    # -- checkpoints ---------------------------------------------------------------------

    def keygen(self, path: Path | None = None) -> tuple[Path, Path]:
        """Make the signing key pair (default: the settings' key file); never overwrites one."""
        try:
            return checkpoints.keygen(Path(path or self.settings.checkpoint_key_file))
        except checkpoints.CheckpointKeyError as exc:
            raise AuditError(str(exc)) from None

    def checkpoint(self, *, key: Path | None = None, directory: Path | None = None) -> checkpoints.CheckpointView:
        """Sign the chain heads of every case and of the operation log; keep the checkpoint in the
        database and write it to the auditor's directory (default: the settings')."""
        try:
            private = checkpoints.load_private(Path(key or self.settings.checkpoint_key_file))
        except checkpoints.CheckpointKeyError as exc:
            raise AuditError(str(exc)) from None
        with self.tx.write() as s:
            return checkpoints.make(s, private, self.clock(), Path(directory or self.settings.checkpoint_dir))

    def verify(self, instance_id: int | None = None, *, checkpoint_dir: Path | None = None,
               public_key: Path | None = None) -> AuditReport:
        """Every check at once: case chains and state digests, the operation log, and (with a
        directory and the public key) that no history before a signed checkpoint was rewritten."""
        chains = self.history.verify(instance_id)
        with self.tx.read() as s:
            ops = operations.verify(s)
            if checkpoint_dir is None:
                return AuditReport(chains, ops)
            if public_key is None:
                raise AuditError("checking checkpoints needs the public key (--public-key)")
            try:
                public = checkpoints.load_public(Path(public_key))
            except checkpoints.CheckpointKeyError as exc:
                raise AuditError(str(exc)) from None
            read, rewritten, problems = checkpoints.check(s, Path(checkpoint_dir), public)
        if instance_id is not None:
            rewritten = [b for b in rewritten if b.instance_id == instance_id]
        if not read:
            problems.append(f"no checkpoint files in {checkpoint_dir}")
        return AuditReport(chains, ops, read, rewritten, problems)

    # -- export ----------------------------------------------------------------------------

    def export_cases(self, *, instance_id: int | None = None, campaign_id: str | None = None) -> list[int]:
        """The case ids an export of one case or of a campaign covers."""
        with self.tx.read() as s:
            return export.cases_of(s, instance_id=instance_id, campaign_id=campaign_id)

    def export_lines(self, instance_ids: list[int], fmt: str, *, actor: str,
                     progress: Callable[[int], None] | None = None) -> Iterator[str]:
        """The history of the cases as JSON Lines or CSV, one line at a time, with chain hashes
        and the checkpoints covering them; the export itself goes in the operation log first.
        (What the audit page's download streams.)"""
        if fmt not in export.FORMATS:
            raise AuditError(f"export format must be one of {', '.join(export.FORMATS)}, not {fmt!r}")
        self.record(Action.EXPORT, actor=actor, target=_target(instance_ids),
                    after={"format": fmt, "cases": len(instance_ids)})

        def stream() -> Iterator[str]:
            with self.tx.read() as s:
                yield from export.lines(s, instance_ids, fmt, progress)

        return stream()

    def export_history(self, out: TextIO, instance_ids: list[int], fmt: str, *, actor: str,
                       progress: Callable[[int], None] | None = None) -> int:
        """Write the export to `out`; how many lines."""
        count = 0
        for line in self.export_lines(instance_ids, fmt, actor=actor, progress=progress):
            out.write(line)
            count += 1
        return count

    def last_checkpoint_at(self) -> datetime | None:
        """When the newest checkpoint was made (the scheduler's daily checkpoint asks)."""
        with self.tx.read() as s:
            return checkpoints.last_at(s)


def _target(ids: list[int]) -> str:
    if len(ids) == 1:
        return f"instance {ids[0]}"
    return f"{len(ids)} instances" + (f" ({ids[0]}..{ids[-1]})" if ids else "")
