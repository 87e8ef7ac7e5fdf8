#!/usr/bin/env python3
"""Check an Anjie history export offline: `verify_export.py FILE [--public-key KEY]`.

Standard library only; with --public-key the signatures of the checkpoints are checked too,
which needs the `cryptography` package (Ed25519). Prints "ok" and exits 0 when the file is
intact; otherwise exits 1 naming the first bad line.

What is checked, line by line: each line is in the one canonical form the exporter writes
(so any changed byte shows), each case's events run 1, 2, 3... each linked to the previous
event's hash and matching its own hash; each checkpoint line names an event of the file with
the same hash, its Merkle proof leads to the root of its signed statement, and (with the key)
the statement's signature is good.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import sys
from pathlib import Path
from typing import Any

GENESIS = "0" * 64
COLUMNS = ("kind", "instance", "seq", "type", "element", "task", "actor", "at", "detail", "changes", "format",
           "data_digest", "tasks_digest", "prev_hash", "hash", "checkpoint", "proof", "statement", "signature")
_INTS = ("instance", "seq", "format", "checkpoint")
_JSON = ("detail", "changes", "proof")


class Bad(Exception):
    """The first bad line: its number and what is wrong."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def event_hash(prev: str, rec: dict[str, Any]) -> str:
    """The chain hash of an exported event, as the engine computes it (engine/chain.py)."""
    body = {"instance": rec["instance"], "seq": rec["seq"], "type": rec["type"], "element": rec["element"],
            "task": rec["task"], "actor": rec["actor"], "at": rec["at"], "detail": rec["detail"],
            "changes": rec["changes"]}
    if rec["format"] >= 2:
        body.update(format=rec["format"], data=rec["data_digest"], tasks=rec["tasks_digest"])
    return hashlib.sha256((prev + canonical(body)).encode("utf-8")).hexdigest()


def leaf(name: Any, seq: int, head: str) -> bytes:
    return hashlib.sha256(f"{name}:{seq}:{head}".encode()).digest()


def root_from(node: bytes, proof: list[list[str]]) -> str:
    for side, sibling in proof:
        other = bytes.fromhex(sibling)
        node = hashlib.sha256(other + node if side == "L" else node + other).digest()
    return node.hex()


def jsonl_records(text: str) -> list[tuple[int, dict[str, Any]]]:
    records = []
    for number, line in enumerate(text.split("\n"), start=1):
        if line == "" and number == text.count("\n") + 1:
            break  # after the last newline
        try:
            rec = json.loads(line)
        except ValueError as exc:
            raise Bad(number, f"not JSON ({exc})") from None
        if not isinstance(rec, dict) or canonical(rec) != line:
            raise Bad(number, "not in the exporter's form (changed)")
        records.append((number, rec))
    return records


def csv_records(text: str) -> list[tuple[int, dict[str, Any]]]:
    lines = text.split("\n")
    if lines[0] != ",".join(COLUMNS):
        raise Bad(1, "not the export's CSV header")
    records = []
    for number, line in enumerate(lines[1:], start=2):
        if line == "" and number == len(lines):
            break
        cells = next(csv.reader([line]), [])
        out = io.StringIO()
        csv.writer(out, lineterminator="").writerow(cells)
        if len(cells) != len(COLUMNS) or out.getvalue() != line:
            raise Bad(number, "not in the exporter's form (changed)")
        rec: dict[str, Any] = {}
        try:
            for column, cell in zip(COLUMNS, cells, strict=True):
                if cell == "":
                    rec[column] = {} if column in ("detail", "changes") else None
                elif column in _INTS:
                    rec[column] = int(cell)
                elif column in _JSON:
                    rec[column] = json.loads(cell)
                    if canonical(rec[column]) != cell:
                        raise ValueError(f"{column} is not in the exporter's form")
                else:
                    rec[column] = cell
        except ValueError as exc:
            raise Bad(number, f"bad cell ({exc})") from None
        records.append((number, rec))
    return records


def check(records: list[tuple[int, dict[str, Any]]], public_key: Any | None) -> tuple[int, int, int]:
    heads: dict[int, tuple[int, str]] = {}
    hashes: dict[tuple[int, int], str] = {}
    events = checkpoints = 0
    for number, rec in records:
        try:
            kind = rec["kind"]
            if kind == "event":
                ident, seq = rec["instance"], rec["seq"]
                last_seq, last_hash = heads.get(ident, (0, GENESIS))
                if seq != last_seq + 1:
                    raise Bad(number, f"instance {ident}: event {last_seq + 1} expected, found {seq}")
                if rec["prev_hash"] != last_hash:
                    raise Bad(number, f"instance {ident} event {seq}: previous-hash link does not match")
                if event_hash(last_hash, rec) != rec["hash"]:
                    raise Bad(number, f"instance {ident} event {seq}: content does not match its hash")
                heads[ident] = (seq, rec["hash"])
                hashes[(ident, seq)] = rec["hash"]
                events += 1
            elif kind == "checkpoint":
                ident, seq = rec["instance"], rec["seq"]
                statement = json.loads(rec["statement"])
                if hashes.get((ident, seq)) != rec["hash"]:
                    raise Bad(number, f"checkpoint {rec['checkpoint']}: instance {ident} event {seq} "
                                      "differs from the signed head")
                if root_from(leaf(ident, seq, rec["hash"]), rec["proof"]) != statement["root"]:
                    raise Bad(number, f"checkpoint {rec['checkpoint']}: the proof does not lead to the signed root")
                if public_key is not None:
                    try:
                        public_key.verify(bytes.fromhex(rec["signature"]), rec["statement"].encode("utf-8"))
                    except Exception:  # noqa: BLE001 - cryptography's InvalidSignature, or bad hex
                        raise Bad(number, f"checkpoint {rec['checkpoint']}: signature does not match") from None
                checkpoints += 1
            else:
                raise Bad(number, f"unknown line kind {kind!r}")
        except (KeyError, TypeError, ValueError) as exc:
            raise Bad(number, f"malformed ({type(exc).__name__}: {exc})") from None
    return len(heads), events, checkpoints


def load_public_key(path: Path) -> Any:
    try:
        from cryptography.hazmat.primitives.serialization import load_pem_public_key
    except ImportError:
        raise SystemExit("--public-key needs the cryptography package (pip install cryptography)") from None
    return load_pem_public_key(path.read_bytes())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check an Anjie history export offline.")
    parser.add_argument("file", type=Path)
    parser.add_argument("--public-key", type=Path, help="the checkpoint signer's public key (PEM)")
    args = parser.parse_args(argv)
    key = load_public_key(args.public_key) if args.public_key else None
    raw = args.file.read_bytes()
    try:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise Bad(line, "not UTF-8") from None
        records = csv_records(text) if text.startswith("kind,") else jsonl_records(text)
        cases, events, checkpoints = check(records, key)
    except Bad as bad:
        print(f"FAILED: {bad}")
        return 1
    signed = " (signatures checked)" if key is not None else " (signatures not checked: no --public-key)"
    print(f"ok: {events} events of {cases} cases, {checkpoints} checkpoint proofs{signed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
