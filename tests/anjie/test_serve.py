"""The main job as README.md starts it: `anjie serve --demo` on SQLite, demo data loaded, URL printed."""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_demo_starts_prints_url_and_passwords_and_signs_with_its_own_key(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "ANJIE_INSTANCE_DIR": str(tmp_path), "ANJIE_DATABASE_URL": f"sqlite:///{tmp_path}/anjie.db"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "anjie.cli", "serve", "--demo", "--port", str(port)], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 150
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Anjie is running at" in line:
                break
        out = "".join(lines)
        assert f"http://127.0.0.1:{port}/" in out, out
        passwords = dict(re.findall(r"^\s+(clerk|leader|supervisor)\s+(\S+)$", out, re.M))
        assert set(passwords) == {"clerk", "leader", "supervisor"}, out
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=30) as page:
            body = page.read().decode()
        assert page.status == 200 and "登录" in body
        # The demo's clerk signs in with the printed password and finds the demo cases in the ledger.
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        with browser.open(f"http://127.0.0.1:{port}/login", timeout=30) as page:
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.read().decode()).group(1)
        form = urllib.parse.urlencode({"csrf_token": token, "username": "clerk", "password": passwords["clerk"]})
        with browser.open(f"http://127.0.0.1:{port}/login", data=form.encode(), timeout=30):
            pass
        with browser.open(f"http://127.0.0.1:{port}/ledger/", timeout=30) as page:
            ledger = page.read().decode()
        assert "村集体土地征收补偿款分配争议" in ledger and "旧城改造房屋拆迁安置" in ledger
        assert (tmp_path / "anjie.db").stat().st_size > 0
        assert (tmp_path / "checkpoint_key.pem").exists(), "the demo signs its checkpoints with its own key"
        assert "no checkpoint signed" not in out
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()
