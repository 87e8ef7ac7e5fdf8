"""webapp/attachments.py and the instance folder: files typed by their content, stored readable
by the owner only, under absolute paths whatever the working directory."""

from __future__ import annotations

import io
import stat
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from engine import Engine, Settings
from engine.config import INSTANCE_DIR
from tests.conftest import EngineWith
from tests.webapp.conftest import PROCESS, ROLE_USERS, Auth, start_case
from webapp import create_app
from webapp.attachments import AttachmentStore

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _at_reply(engine: Engine, case: Any) -> str:
    engine.claim(case.tasks[0].id, actor="handler")
    engine.complete(case.tasks[0].id, {"visit_date": "2025-04-17", "visit_notes": "x"}, actor="handler")
    return str(engine.tasks(instance_id=case.id)[0].id)


@pytest.mark.sqlite_only
def test_the_type_is_checked_by_content_not_by_extension(client: FlaskClient, auth: Auth,
                                                          web_engine: Engine, case: Any) -> None:
    tid = _at_reply(web_engine, case)
    auth.login("handler")
    for body, name in ((b"<html><script>alert(1)</script></html>", "答复书.pdf"),
                       (b"MZ\x90\x00 not an image", "photo.png"), (b"<svg onload=alert(1)>", "notes.txt")):
        resp = client.post(f"/tasks/{tid}/attachments", data={"file": (io.BytesIO(body), name)})
        assert "文件内容不是" in client.get(resp.location).text, name
    client.post(f"/tasks/{tid}/attachments", data={"file": (io.BytesIO("情况说明\n".encode()), "说明.txt")})
    client.post(f"/tasks/{tid}/attachments", data={"file": (io.BytesIO(PDF), "答复书.pdf")})
    stored = AttachmentStore(Path(web_engine.settings.upload_dir), 10**6).list(case.id)
    assert sorted(a.filename for a in stored) == ["答复书.pdf", "说明.txt"]


def test_uploads_download_and_files_are_private_from_any_working_directory(
        engine_with: EngineWith, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With relative folders (as the defaults are), a server started elsewhere still finds its files."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    settings = Settings(database_url=db_url, instance_dir="inst", upload_dir="uploads")
    assert settings.upload_dir == str(tmp_path / "inst" / "uploads")
    engine = engine_with(PROCESS, settings=settings)
    engine.accounts.scrypt_n = 2**4
    for name in ("handler", "leader"):
        engine.accounts.add_user(name, "correct horse 1", ROLE_USERS[name])
    monkeypatch.chdir(tmp_path / "elsewhere")  # the server runs from another directory
    app = create_app(settings, engine=engine)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    client = app.test_client()
    case = start_case(engine)
    tid = _at_reply(engine, case)
    Auth(client).login("handler")
    client.post(f"/tasks/{tid}/claim")
    assert client.post(f"/tasks/{tid}/complete", data={
        "reply_text": "答复", "reply_file": (io.BytesIO(PDF), "答复书.pdf")}).status_code == 302
    attachment_id = engine.instance(case.id).data["reply_file"]  # a file field records the attachment's id
    with client.get(f"/cases/{case.id}/attachments/{attachment_id}") as resp:
        assert resp.status_code == 200 and resp.data == PDF
    files = list((tmp_path / "inst" / "uploads" / str(case.id)).iterdir())
    assert len(files) == 2 and all(_mode(f) == 0o600 for f in files)
    assert _mode(tmp_path / "inst" / "secret_key") == 0o600  # made on first start
    assert not (tmp_path / "elsewhere" / "inst").exists()


@pytest.mark.sqlite_only
def test_defaults_are_absolute_and_the_database_is_private(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    first = Settings()
    monkeypatch.chdir("/")
    assert Settings().upload_dir == first.upload_dir == str(INSTANCE_DIR / "uploads")
    assert Settings().database_url == f"sqlite:///{INSTANCE_DIR / 'anjie.db'}"
    db = tmp_path / "private" / "anjie.db"
    engine = Engine.open(f"sqlite:///{db}")
    engine.close()
    assert _mode(db) == 0o600 and _mode(db.parent) == 0o700
