"""Signed checkpoints: tamper evidence against someone who can rewrite the database.

A checkpoint lists the chain head (last event number and hash) of every case and of the
operation log, with a Merkle root over them, signed with an Ed25519 key that the database
never holds. It is kept in the database and written to a directory the auditor keeps (a WORM
location in production). Whoever later rewrites history before a checkpoint, recomputing every
hash and dropping the triggers, cannot make the chain end in the signed head again, nor sign
a new checkpoint without the key.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from . import operations
from .chain import canonical, hash_of, utc
from .models import Checkpoint, Event, Instance
from .views import BrokenLink

_CHECKPOINTS = Checkpoint.metadata.tables[Checkpoint.__tablename__]
_EVENTS = Event.metadata.tables[Event.__tablename__]
_INSTANCES = Instance.metadata.tables[Instance.__tablename__]
#: The operation log's place among the leaves (case ids are positive).
OPERATIONS_LEAF = "operations"


class CheckpointKeyError(Exception):
    """The signing or checking key is missing or not an Ed25519 key."""


@dataclass(frozen=True)
class CheckpointView:
    """A checkpoint as made: its number, time, Merkle root, how many cases, and where it was written."""

    id: int
    at: datetime
    root: str
    cases: int
    operations_seq: int
    file: str | None


# -- keys ----------------------------------------------------------------------------------


def keygen(private_path: Path) -> tuple[Path, Path]:
    """Make a new Ed25519 key pair: the private key (mode 0600, never overwritten) and the
    public key beside it (`.pub`), which auditors receive."""
    if private_path.exists():
        raise CheckpointKeyError(f"{private_path} exists already; a key is never overwritten")
    private_path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    public_path = private_path.with_name(private_path.name + ".pub")
    public_path.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                          serialization.PublicFormat.SubjectPublicKeyInfo))
    return private_path, public_path


def load_private(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise CheckpointKeyError(f"cannot read the checkpoint key {path}: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointKeyError(f"{path} is not an Ed25519 private key")
    return key


def load_public(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise CheckpointKeyError(f"cannot read the public key {path}: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise CheckpointKeyError(f"{path} is not an Ed25519 public key")
    return key


def key_id(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


# -- the Merkle root -------------------------------------------------------------------------


def leaf(name: str | int, seq: int, head: str) -> bytes:
    """A leaf of the tree: one chain's name (case id, or "operations"), last number and hash."""
    return hashlib.sha256(f"{name}:{seq}:{head}".encode()).digest()


def tree(leaves: list[bytes]) -> list[list[bytes]]:
    """Every level of a binary hash tree over the leaves, leaves first (an odd node goes up as is)."""
    levels = [leaves or [hashlib.sha256(b"").digest()]]
    while len(levels[-1]) > 1:
        level = levels[-1]
        nxt = [hashlib.sha256(level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        levels.append(nxt)
    return levels


def proof(levels: list[list[bytes]], index: int) -> list[list[str]]:
    """The siblings from leaf `index` up to the root: [side, hex] pairs, side "L" or "R"."""
    path = []
    for level in levels[:-1]:
        sibling = index ^ 1
        if sibling < len(level):
            path.append(["L" if sibling < index else "R", level[sibling].hex()])
        index //= 2
    return path


def leaves_of(heads: list[list[Any]], operations_head: list[Any]) -> list[bytes]:
    return [leaf(i, seq, h) for i, seq, h in heads] + [leaf(OPERATIONS_LEAF, *operations_head)]


# -- making and checking -------------------------------------------------------------------------


def make(s: Session, key: Ed25519PrivateKey, at: datetime, directory: Path | None) -> CheckpointView:
    """Sign the current heads in the caller's transaction; write the checkpoint file too.

    What is signed is a short statement (time, root, how many cases, the operation log's head,
    key id); the heads stay beside it, so one case's export carries its leaf and proof alone."""
    heads = [[row.id, row.last_seq, row.last_hash] for row in s.execute(
        select(_INSTANCES.c.id, _INSTANCES.c.last_seq, _INSTANCES.c.last_hash).order_by(_INSTANCES.c.id))]
    op_head = list(operations.head(s))
    root = tree(leaves_of(heads, op_head))[-1][0].hex()
    statement = canonical({"format": 1, "at": utc(at).isoformat(), "root": root, "cases": len(heads),
                           "operations": op_head, "key_id": key_id(key.public_key())})
    signature = key.sign(statement.encode("utf-8")).hex()
    heads_text = canonical(heads)
    checkpoint_id = s.execute(insert(_CHECKPOINTS).values(
        at=utc(at), root=root, cases=len(heads), statement=statement, heads=heads_text, signature=signature,
        key_id=key_id(key.public_key())).returning(_CHECKPOINTS.c.id)).scalar_one()
    path = None
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"checkpoint-{checkpoint_id:06d}.json"
        path.write_text(canonical({"checkpoint": checkpoint_id, "statement": statement, "signature": signature,
                                   "heads": heads}) + "\n", encoding="utf-8")
    operations.append(s, operations.Action.CHECKPOINT, at=at, target=f"checkpoint {checkpoint_id}",
                      after={"root": root, "cases": len(heads), "operations": op_head[0]})
    return CheckpointView(checkpoint_id, utc(at), root, len(heads), int(str(op_head[0])),
                          str(path) if path else None)


@dataclass(frozen=True)
class Signed:
    """A checkpoint whose signature and root were checked."""

    number: int
    statement: dict[str, Any]
    heads: list[list[Any]]


def read_file(path: Path, public: Ed25519PublicKey) -> Signed:
    """A checkpoint file, once its signature and root check out; ValueError naming the file otherwise."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        text, signature, heads = doc["statement"], bytes.fromhex(doc["signature"]), doc["heads"]
        statement = json.loads(text)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path.name}: not a checkpoint file ({exc})") from None
    try:
        public.verify(signature, text.encode("utf-8"))
    except InvalidSignature:
        raise ValueError(f"{path.name}: signature does not match (file altered, or another key)") from None
    if tree(leaves_of(heads, statement["operations"]))[-1][0].hex() != statement.get("root"):
        raise ValueError(f"{path.name}: the heads do not give the signed root")
    return Signed(int(doc["checkpoint"]), statement, heads)


def check(s: Session, directory: Path, public: Ed25519PublicKey) -> tuple[int, list[BrokenLink], list[str]]:
    """Compare the stored history with every signed checkpoint in `directory`: how many
    checkpoints were read, the cases whose history before a checkpoint was rewritten (from the
    first event no earlier checkpoint confirms, to the head that no longer matches), and
    problems with the files or the operation log."""
    files = sorted(directory.glob("checkpoint-*.json"))
    problems: list[str] = []
    signed: dict[int, list[tuple[int, str, int]]] = {}
    op_heads: list[tuple[int, str, int]] = []
    for path in files:
        try:
            cp = read_file(path, public)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        for ident, seq, head in cp.heads:
            signed.setdefault(int(ident), []).append((int(seq), str(head), cp.number))
        op_seq, op_head = cp.statement["operations"]
        op_heads.append((int(op_seq), str(op_head), cp.number))
    wanted = {(i, seq) for i, heads in signed.items() for seq, _h, _n in heads}
    stored: dict[tuple[int, int], str] = {}
    cols = (_EVENTS.c.instance_id, _EVENTS.c.seq, _EVENTS.c.format, _EVENTS.c.hash, _EVENTS.c.digest)
    for row in s.execute(select(*cols)).yield_per(10000):
        if (row.instance_id, row.seq) in wanted:
            stored[(row.instance_id, row.seq)] = hash_of(row)
    broken: list[BrokenLink] = []
    for ident, heads in sorted(signed.items()):
        confirmed = 0
        for seq, head, number in sorted(heads):
            now = stored.get((ident, seq))
            if seq == 0 or now == head:
                confirmed = max(confirmed, seq)
                continue
            what = "is missing" if now is None else "differs from the signed head"
            broken.append(BrokenLink(ident, confirmed + 1, (
                f"history before checkpoint {number} was rewritten: event {seq} {what}"
                f" (the change is in events {confirmed + 1} to {seq})")))
            break
    ops = dict(s.execute(select(operations.TABLE.c.seq, operations.TABLE.c.hash)).tuples().all())
    for seq, head, number in sorted(op_heads):
        if seq and ops.get(seq) != head:
            problems.append(f"operation log before checkpoint {number} was rewritten: entry {seq} differs")
            break
    return len(files), broken, problems


def covering(s: Session, instance_ids: set[int]) -> list[dict[str, Any]]:
    """For each stored checkpoint, each of the cases it covers: its leaf, proof and the signed
    statement (what an export carries so an outside auditor can check it offline)."""
    found = []
    for row in s.execute(select(_CHECKPOINTS).order_by(_CHECKPOINTS.c.id)):
        heads = json.loads(row.heads)
        statement = json.loads(row.statement)
        index = {int(h[0]): n for n, h in enumerate(heads) if int(h[0]) in instance_ids}
        if not index:
            continue
        levels = tree(leaves_of(heads, statement["operations"]))
        for ident, n in sorted(index.items()):
            found.append({"kind": "checkpoint", "checkpoint": row.id, "instance": ident, "seq": heads[n][1],
                          "hash": heads[n][2], "proof": proof(levels, n), "statement": row.statement,
                          "signature": row.signature})
    return found


def last_at(s: Session) -> datetime | None:
    """When the newest stored checkpoint was made."""
    at = s.scalar(select(_CHECKPOINTS.c.at).order_by(_CHECKPOINTS.c.id.desc()).limit(1))
    return utc(at) if at is not None else None
