"""The production command: gunicorn with webapp/gunicorn_conf.py loads the app, and the worker
shape follows ANJIE_WEB_WORKERS / ANJIE_WEB_THREADS."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.sqlite_only
def test_gunicorn_loads_the_app_with_the_shipped_config(db_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "ANJIE_DATABASE_URL": db_url, "ANJIE_SECRET_KEY": "test-secret",
           "ANJIE_INSTANCE_DIR": str(tmp_path)}
    done = subprocess.run(
        [str(Path(sys.executable).with_name("gunicorn")), "--check-config", "--print-config",
         "-c", "python:webapp.gunicorn_conf", "webapp.wsgi:app"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    pairs = (line.split(" = ", 1) for line in done.stdout.splitlines() if " = " in line)
    settings = {k.strip(): v.strip() for k, v in pairs}
    assert (settings["worker_class"], settings["workers"], settings["threads"]) == \
        ("gthread", "4", "4")


def test_the_worker_shape_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANJIE_WEB_WORKERS", "1")
    monkeypatch.setenv("ANJIE_WEB_THREADS", "8")
    monkeypatch.setenv("ANJIE_WEB_BIND", "127.0.0.1:9000")
    import webapp.gunicorn_conf as conf

    conf = importlib.reload(conf)
    try:
        assert (conf.workers, conf.threads, conf.bind, conf.worker_class) == (1, 8, "127.0.0.1:9000", "gthread")
    finally:
        monkeypatch.undo()
        importlib.reload(conf)
