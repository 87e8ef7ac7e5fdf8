"""Demo data: the shipped diagrams deployed, one user per role, and a demo campaign whose cases
stand at different stages and colours."""

from __future__ import annotations

import io
import secrets
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from werkzeug.datastructures import FileStorage

from engine import Engine, EngineError
from webapp.attachments import AttachmentRefused, AttachmentStore
from webapp.sample_case import MAIN_PATH, REGISTER

#: The demo users, named after their role, and their groups.
DEMO_USERS: dict[str, list[str]] = {
    "clerk": ["intake_clerk"],
    "coordinator": ["coordinator"],
    "leader": ["case_leader"],
    "handler": ["case_handler"],
    "supervisor": ["supervisor"],
    "designer": ["designer"],
    "auditor": ["auditor"],
    "admin": ["admin", "leading_group"],
}
CAMPAIGN = "2025年信访积案化解专项行动"

#: Demo cases: title (the petitioner's demand), petitioners, flags that drive the triage
#: decision's colour, and how many tasks of the main path are already done.
CASES: list[tuple[str, str, dict[str, Any], int]] = [
    ("村集体土地征收补偿款分配争议", "王某等12人",
     {"collective_petition": True, "petitioner_count": 12, "repeat_count": 4}, 0),
    ("企业改制职工社保接续问题", "李某", {"subject": "enterprise_restructuring", "escalated_petition": True}, 2),
    ("旧城改造房屋拆迁安置", "赵某", {"subject": "demolition", "repeat_count": 2}, 4),
    ("小区物业维修基金使用", "孙某", {"subject": "property_management", "repeat_count": 0}, 7),
    ("农村宅基地确权纠纷", "周某", {"subject": "agriculture", "repeat_count": 1}, 1),
    ("学校周边噪声污染", "吴某", {"subject": "environment", "repeat_count": 0, "backlog_case": False}, 11),
    ("劳动报酬拖欠（三跨）", "郑某", {"subject": "labour_social_security", "three_cross": True}, 17),
]


def campaign_windows(engine: Engine) -> dict[str, Any]:
    """Start data of the demo campaign: phase windows from today, and its targets."""
    today = engine.clock()

    def end(days: int) -> str:
        return (today + timedelta(days=days)).isoformat()

    return {"campaign_id": CAMPAIGN, "campaign_name": CAMPAIGN, "title": CAMPAIGN,
            "mobilise_end": end(7), "investigate_end": end(21), "resolve_end": end(120),
            "inspect_end": end(135), "target_resolve_rate": 90, "target_petitioning_stopped_rate": 85}


@dataclass(frozen=True)
class DemoResult:
    """What the demo set up: passwords per demo user and the ids of the demo cases."""

    passwords: dict[str, str]
    case_ids: list[int]


def deploy_shipped(engine: Engine, folder: Path, actor: str = "designer") -> list[str]:
    """Deploy every diagram in `folder`, decisions first; answer the deployed keys. A diagram
    that is refused is reported on stderr and skipped, so the others still deploy."""
    keys: list[str] = []
    files = sorted(folder.glob("*.dmn")) + sorted(folder.glob("*.bpmn"))
    for path in files:
        try:
            keys += [d.process_key for d in engine.deploy(path, actor=actor)]
        except Exception as exc:  # noqa: BLE001 - one bad diagram must not stop the site
            print(f"warning: {path.name} not deployed: {exc}", file=sys.stderr)
    return keys


def ensure_users(engine: Engine, users: dict[str, list[str]] = DEMO_USERS) -> dict[str, str]:
    """Create (or reset) one user per role with a fresh random password; answer the passwords."""
    passwords: dict[str, str] = {}
    for name, groups in users.items():
        password = secrets.token_urlsafe(9)
        if engine.accounts.find_user(name) is None:
            engine.accounts.add_user(name, password, groups)
        else:
            engine.accounts.set_password(name, password)
            engine.accounts.set_groups(name, groups)
        passwords[name] = password
    return passwords


def walk(engine: Engine, instance_id: int, path: list[tuple[str, dict[str, Any]]]) -> int:
    """Complete the tasks of `path` in order for one case; answer how many were done."""
    done = 0
    for element, data in path:
        ready = [t for t in engine.tasks(instance_id=instance_id) if t.element_id == element]
        if not ready:
            break
        task = ready[0]
        actor = task.assignee or _member_of(task.candidate_groups)
        try:
            data = _with_documents(engine, instance_id, task.id, data, actor)
            engine.complete(task.id, data, actor=actor)
        except (EngineError, AttachmentRefused) as exc:
            print(f"warning: demo case {instance_id} stopped at {element}: {exc}", file=sys.stderr)
            break
        done += 1
    return done


def _with_documents(engine: Engine, instance_id: int, task_id: str, data: dict[str, Any],
                    actor: str) -> dict[str, Any]:
    """`data` with each document the demo names (`doc:…`) uploaded to the case first, as a
    handler would, and referred to by its attachment id."""
    store = AttachmentStore(Path(engine.settings.upload_dir), engine.settings.max_upload_bytes)
    out = dict(data)
    for f in engine.task(task_id).form:
        value = out.get(f.id)
        if f.type not in ("document", "file") or not isinstance(value, str) or not value.startswith("doc:"):
            continue
        body = f"{f.label}（演示材料）\n".encode()
        upload = FileStorage(stream=io.BytesIO(body), filename=f"{f.label}.txt", content_type="text/plain")
        out[f.id] = store.attach(engine, instance_id, upload, actor=actor, task_id=task_id, field=f.id).id
    return out


def _member_of(groups: list[str]) -> str:
    for name, member_groups in DEMO_USERS.items():
        if set(member_groups) & set(groups):
            return name
    return "coordinator"


def seed(engine: Engine, processes: Path) -> DemoResult:
    """Deploy the shipped diagrams, make the demo users and, once, the demo campaign."""
    keys = deploy_shipped(engine, processes) if processes.is_dir() else []
    passwords = ensure_users(engine)
    case_ids: list[int] = []
    if engine.tasks(state=None):
        return DemoResult(passwords, case_ids)  # the demo campaign exists already
    if "backlog_campaign" in keys:
        try:
            engine.start("backlog_campaign", campaign_windows(engine), actor="coordinator",
                         business_key=CAMPAIGN)
        except EngineError as exc:
            print(f"warning: demo campaign not started: {exc}", file=sys.stderr)
    if "petition_case" not in keys:
        return DemoResult(passwords, case_ids)
    for n, (title, petitioners, flags, steps) in enumerate(CASES, start=1):
        instance = engine.start("petition_case", {"title": title, "campaign_id": CAMPAIGN},
                                actor="clerk", business_key=f"XF-2025-{n:04d}")
        received = (engine.clock() - timedelta(days=n - 1)).date().isoformat()
        register = {**REGISTER, "received_at": received, "demand": title,
                    "petitioner_names": petitioners, **flags}
        today = engine.clock().date().isoformat()
        path = [(element, {**data, "reply_delivered_on": today} if element == "record_reply" else data)
                for element, data in MAIN_PATH[1:steps]]
        walk(engine, instance.id, [("register_petition", register), *path])
        case_ids.append(instance.id)
    return DemoResult(passwords, case_ids)
