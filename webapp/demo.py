"""Demo data: the shipped diagrams deployed, one user per role, and a demo campaign whose cases
stand at different stages and colours."""

from __future__ import annotations

import secrets
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine import Engine, EngineError
from engine.views import FormField, TaskView

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

#: Demo cases: title, petitioner, colour, class, and how many tasks to complete.
CASES: list[tuple[str, str, str, str, int]] = [
    ("村集体土地征收补偿款分配争议", "王某等12人", "red", "A", 0),
    ("企业改制职工社保接续问题", "李某", "red", "B", 2),
    ("旧城改造房屋拆迁安置", "赵某", "yellow", "A", 4),
    ("小区物业维修基金使用", "孙某", "yellow", "B", 6),
    ("农村宅基地确权纠纷", "周某", "green", "C", 1),
    ("学校周边噪声污染", "吴某", "green", "B", 3),
    ("劳动报酬拖欠（三跨）", "郑某", "red", "A", 8),
]

#: Values the demo enters in form fields it knows, so cases move along the main path.
KNOWN_VALUES: dict[str, Any] = {
    "case_leader": "leader",
    "case_handler": "handler",
    "accept_decision": "accept",
    "met_face_to_face": True,
    "request_extension": False,
    "risk_override": False,
    "extension_approved": True,
    "approved": True,
    "satisfied": True,
    "campaign_id": CAMPAIGN,
}


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


def autofill(fields: Iterable[FormField]) -> dict[str, Any]:
    """Plausible values for a form, so a demo case can move on."""
    data: dict[str, Any] = {}
    for f in fields:
        if f.id in KNOWN_VALUES:
            data[f.id] = KNOWN_VALUES[f.id]
        elif f.options:
            data[f.id] = f.default if f.default else f.options[0][0]
        elif f.type == "boolean":
            data[f.id] = (f.default or "false").lower() == "true"
        elif f.type in ("long", "integer"):
            data[f.id] = int(f.default or 1)
        elif f.type == "date":
            data[f.id] = "2025-04-16"
        elif f.type in ("file", "attachment"):
            continue
        else:
            data[f.id] = f.default or f"演示：{f.label}"
    return data


def advance(engine: Engine, instance_id: int, steps: int) -> int:
    """Complete up to `steps` ready tasks of a case with autofilled forms; answer how many."""
    done = 0
    for _ in range(steps):
        ready: list[TaskView] = engine.tasks(instance_id=instance_id)
        if not ready:
            break
        task = engine.task(ready[0].id)
        actor = task.assignee or _member_of(task.candidate_groups)
        try:
            engine.complete(task.id, autofill(task.form), actor=actor)
        except EngineError:
            break
        done += 1
    return done


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
            engine.start("backlog_campaign", {"campaign_id": CAMPAIGN, "title": CAMPAIGN},
                         actor="coordinator", business_key=CAMPAIGN)
        except EngineError:
            pass
    case_key = "petition_case" if "petition_case" in keys else None
    if case_key is None:
        return DemoResult(passwords, case_ids)
    for n, (title, petitioner, colour, cls, steps) in enumerate(CASES, start=1):
        data = {"title": title, "petitioner_names": petitioner, "petitioner_name": petitioner,
                "risk_colour": colour, "risk_class": cls, "campaign_id": CAMPAIGN,
                "case_leader": "leader", "case_handler": "handler"}
        try:
            instance = engine.start(case_key, data, actor="clerk",
                                    business_key=f"XF-2025-{n:04d}")
        except EngineError:
            continue
        advance(engine, instance.id, steps)
        case_ids.append(instance.id)
    return DemoResult(passwords, case_ids)
