"""File attachments for the dossier (六有): checked for size and for type by their content, stored
outside the web root under the upload directory (readable by the owner only), one folder per
case, with a small JSON record beside each file.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import filetype
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from engine import Engine

#: File types the dossier accepts, by extension, with the content type we answer downloads with.
ALLOWED = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "txt": "text/plain",
    "ofd": "application/ofd",
}
#: What the content of a file of each extension may be detected as. Office 97 files (.doc, .xls)
#: are OLE containers, OFD is a zip; a plain text file is detected as nothing.
_OLE = bytes.fromhex("d0cf11e0a1b11ae1")
CONTENT = {
    "pdf": {"application/pdf"},
    "jpg": {"image/jpeg"},
    "jpeg": {"image/jpeg"},
    "png": {"image/png"},
    "doc": {"application/msword", "ole"},
    "xls": {"application/vnd.ms-excel", "ole"},
    "docx": {ALLOWED["docx"], "application/zip"},
    "xlsx": {ALLOWED["xlsx"], "application/zip"},
    "ofd": {"application/zip"},
    "txt": {None},
}
_ID = re.compile(r"^[0-9a-f]{32}$")
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def detected_type(body: bytes) -> str | None:
    """What a file's content is (a MIME type, "ole" for an Office 97 container), or None."""
    kind = filetype.guess(body)
    if kind is not None:
        return str(kind.mime)
    return "ole" if body.startswith(_OLE) else None


def content_matches(ext: str, body: bytes) -> bool:
    """True if the bytes are what the extension says (an HTML page named .pdf is not)."""
    if detected_type(body) not in CONTENT[ext]:
        return False
    if ext != "txt":
        return True
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError:
            continue
        return not _TEXT_CONTROL.search(text) and not re.match(r"\s*<", text)
    return False


def _write_private(path: Path, data: bytes) -> None:
    """Write a new file readable and writable by the owner only, whatever the umask."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


class AttachmentRefused(ValueError):
    """The file is empty, too large or of a type the dossier does not take."""


@dataclass(frozen=True)
class Attachment:
    """One stored file of one case."""

    id: str
    instance_id: int
    filename: str
    content_type: str
    size: int
    uploaded_by: str
    uploaded_at: str
    task_id: str | None = None
    field: str | None = None
    sha256: str = ""

    def record(self) -> dict[str, object]:
        """What goes into the case data for a file field."""
        return {"attachment_id": self.id, "filename": self.filename, "size": self.size}


class AttachmentStore:
    """Attachments on disk under `root/<instance id>/`."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def save(self, instance_id: int, upload: FileStorage, *, actor: str, now: datetime,
             task_id: str | None = None, field: str | None = None) -> Attachment:
        """Check and store one uploaded file; raises AttachmentRefused."""
        filename = Path(upload.filename or "").name.strip()
        ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        if ext not in ALLOWED:
            raise AttachmentRefused(_("Only these file types are accepted: %(types)s.",
                                      types=", ".join(sorted(ALLOWED))))
        body = upload.stream.read(self.max_bytes + 1)
        if not body:
            raise AttachmentRefused(_("The file is empty."))
        if len(body) > self.max_bytes:
            raise AttachmentRefused(_("The file is larger than %(mb)s MB.",
                                      mb=self.max_bytes // 1_000_000))
        if not content_matches(ext, body):
            raise AttachmentRefused(_("The content of the file is not a %(type)s file.",
                                      type=ext.upper()))
        return self._store(instance_id, filename, ALLOWED[ext], body, actor=actor, now=now, task_id=task_id,
                           field=field)

    def _store(self, instance_id: int, filename: str, content_type: str, body: bytes, *, actor: str,
               now: datetime, task_id: str | None, field: str | None) -> Attachment:
        att = Attachment(id=uuid.uuid4().hex, instance_id=instance_id, filename=filename,
                         content_type=content_type, size=len(body), uploaded_by=actor,
                         uploaded_at=now.isoformat(), task_id=task_id, field=field,
                         sha256=hashlib.sha256(body).hexdigest())
        folder = self.root / str(instance_id)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        _write_private(folder / f"{att.id}.bin", body)
        _write_private(folder / f"{att.id}.json", json.dumps(asdict(att), ensure_ascii=False).encode())
        return att

    def attach(self, engine: Engine, instance_id: int, upload: FileStorage, *, actor: str,
               task_id: str | None = None, field: str | None = None) -> Attachment:
        """Store one upload and record it in the case's history (ATTACHMENT_ADDED)."""
        att = self.save(instance_id, upload, actor=actor, now=engine.clock(), task_id=task_id, field=field)
        engine.attachments.add(instance_id, attachment_id=att.id, filename=att.filename, size=att.size,
                               sha256=att.sha256, content_type=att.content_type, actor=actor,
                               task_id=task_id, field=field)
        return att

    def attach_generated(self, engine: Engine, instance_id: int, filename: str, body: bytes, *, actor: str,
                         notice: dict[str, object], task_id: str | None = None) -> Attachment:
        """Store a document the system generated (a written notice, .docx) as a case document and
        record it in the case's history with its name, sha256 and what generated it."""
        att = self._store(instance_id, filename, ALLOWED["docx"], body, actor=actor, now=engine.clock(),
                          task_id=task_id, field=None)
        engine.attachments.add(instance_id, attachment_id=att.id, filename=att.filename, size=att.size,
                               sha256=att.sha256, content_type=att.content_type, actor=actor,
                               task_id=task_id, notice=notice)
        return att

    def list(self, instance_id: int) -> list[Attachment]:
        """Every attachment of a case, oldest first."""
        folder = self.root / str(instance_id)
        if not folder.is_dir():
            return []
        items = [Attachment(**json.loads(p.read_text())) for p in folder.glob("*.json")]
        return sorted(items, key=lambda a: a.uploaded_at)

    def get(self, instance_id: int, attachment_id: str) -> tuple[Attachment, Path] | None:
        """An attachment and the path of its bytes, or None."""
        if not _ID.match(attachment_id):
            return None
        meta = self.root / str(instance_id) / f"{attachment_id}.json"
        if not meta.exists():
            return None
        return Attachment(**json.loads(meta.read_text())), meta.with_suffix(".bin")
