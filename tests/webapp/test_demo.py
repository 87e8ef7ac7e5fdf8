"""webapp/demo.py: the demo users get new passwords at every start; the demo cases walk as drawn."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import Engine, Settings
from tests.conftest import PROCESSES, EngineWith
from webapp.attachments import AttachmentStore
from webapp.demo import deploy_shipped, ensure_users, seed


@pytest.mark.sqlite_only
def test_demo_users_get_fresh_passwords(web_engine: Engine) -> None:
    first = ensure_users(web_engine)
    second = ensure_users(web_engine)
    assert set(first) == {"clerk", "coordinator", "leader", "handler", "supervisor", "designer",
                          "auditor", "admin"}
    assert first["handler"] != second["handler"]
    web_engine.accounts.verify("handler", second["handler"])


@pytest.mark.sqlite_only
def test_the_demo_walks_every_case_as_drawn_and_its_documents_download(
        engine_with: EngineWith, settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    engine = engine_with(settings=settings)
    engine.accounts.scrypt_n = 2**4
    deploy_shipped(engine, PROCESSES)
    result = seed(engine, PROCESSES)
    assert "warning" not in capsys.readouterr().err, "a demo case stopped before where it was meant to"
    assert len(result.case_ids) == 7
    documents = [a for case in result.case_ids for a in engine.attachments.list(case)]
    assert documents, "the demo's dossier documents are real uploads"
    store = AttachmentStore(Path(settings.upload_dir), settings.max_upload_bytes)
    for a in documents:
        found = store.get(a.instance_id, a.id)
        assert found is not None and found[1].read_bytes().startswith(a.filename.removesuffix(".txt").encode())
