"""Task forms of the shipped diagrams in real headless Chromium, whatever processes/ holds.

- Every user task's form opens with each field as its diagram declares: a box ticked only when
  its default is true, a select on its default option, text and numbers showing their default.
- A journey registers a case and works it to its end submitting only what a required field
  demands, every other field left as drawn; the case ends with no flag the user did not set.
- On a phone (390×844) the three 一看二听三问 tasks fit without sideways scrolling, the form
  comes before the case summary, and a photo is attached with the form.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from engine import Engine, FakeClock, FormField, Settings, typed_default
from tests.browser.test_handler_journey import SHOTS
from tests.conftest import PROCESSES, EngineWith
from tests.processes.conftest import STANDING
from webapp import create_app

PASSWORD = "correct horse 1"
ROLES = ["intake_clerk", "coordinator", "case_leader", "case_handler", "supervisor", "leading_group"]
#: A tiny PNG, the "photo" a phone would take.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")
VISIT_TASKS = ("site_visit", "hear_petitioner", "consult_elders")


@pytest.fixture
def shipped(engine_with: EngineWith, db_url: str, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """Every diagram of processes/ deployed (decisions first), one user holding every role and
    one designer, served on a free loopback port."""
    settings = Settings(database_url=db_url, secret_key="forms-test", upload_dir=str(tmp_path / "up"))
    engine = engine_with(*sorted(PROCESSES.glob("*.dmn")), *sorted(PROCESSES.glob("*.bpmn")), settings=settings)
    engine.accounts.scrypt_n = 2**4
    engine.accounts.add_user("zhang", PASSWORD, ROLES, display_name="张伟")
    engine.accounts.add_user("designer", PASSWORD, ["designer"])
    server = make_server("127.0.0.1", 0, create_app(settings, engine=engine), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", engine
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    """A photo file as a phone camera would hand it over."""
    path = tmp_path / "现场.png"
    path.write_bytes(PNG)
    return path


def login(page: Any, base: str, user: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_load_state()


#: What each drawn field shows, read in the page: checked for boxes, the value otherwise.
STATES = """() => Object.fromEntries([...document.querySelectorAll('.field[data-field]')].map(div => {
  const el = div.querySelector('input:not([type=hidden]), select, textarea');
  return [div.dataset.field, el.type === 'checkbox' ? el.checked : el.value];
}))"""


def expected_state(f: FormField) -> Any:
    value = typed_default(f)
    if f.type == "boolean":
        return value is True
    return "" if value is None else str(value)


@pytest.mark.sqlite_only
def test_every_shipped_task_form_opens_with_its_declared_defaults(browser: Any, shipped: tuple[str, Engine]) -> None:
    base, engine = shipped
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    try:
        login(page, base, "designer")
        opened = 0
        for d in (d for d in engine.deployments() if d.kind == "bpmn"):
            for element_id, (_name, fields) in engine.task_forms(d.process_key, d.version).items():
                page.goto(f"{base}/deployments/{d.process_key}/v{d.version}/forms/{element_id}")
                states = page.evaluate(STATES)
                assert states == {f.id: expected_state(f) for f in fields}, (d.process_key, element_id)
                help_texts = [f.properties["help"] for f in fields if f.properties.get("help")]
                assert all(h in page.inner_text("form.task-form") for h in help_texts), element_id
                opened += 1
        assert opened >= 10  # both shipped processes have many user tasks
    finally:
        context.close()


def pick_first(page: Any, select: str) -> None:
    """Choose the first real option of a select (not the empty "choose…" one)."""
    options = page.locator(f"{select} option").evaluate_all("os => os.map(o => o.value).filter(Boolean)")
    page.select_option(select, options[0])


def beijing_today(now: datetime) -> str:
    return now.astimezone(timezone(timedelta(hours=8))).date().isoformat()


def fill_required(page: Any, fields: list[FormField], photo: Path, today: str) -> set[str]:
    """Fill only the fields a rule makes required, with the least a user could type; return
    the ids of the boolean fields the user changed."""
    touched: set[str] = set()
    for f in fields:
        if "required" not in f.rules or page.locator(f"#f-{f.id}").count() == 0:
            continue
        sel = f"#f-{f.id}"
        current = page.locator(sel).input_value() if f.type not in ("boolean", "file") else ""
        if f.type == "boolean":
            page.check(sel)
            touched.add(f.id)
        elif f.type == "file":
            page.set_input_files(sel, str(photo))
        elif current:
            continue  # the default or an earlier answer already fills it
        elif f.type in ("enum", "document") or f.properties.get("document") == "true":
            pick_first(page, sel)
        elif f.type == "user":  # the searchable picker: type a name, Enter takes the first match
            page.fill(sel, page.locator(f"#f-{f.id}-choice option[data-search]").first.get_attribute("value"))
            page.keyboard.press("Enter")
        elif f.type == "long":
            page.fill(sel, f.rules.get("min") or "1")
        elif f.type == "date":
            page.fill(sel, today)
        elif f.id in ROLES:  # a person named in a text field (until the diagram makes it a picker)
            page.fill(sel, "zhang")
        else:
            page.fill(sel, "已办理")
    return touched


def tick_everything(page: Any, fields: list[FormField]) -> set[str]:
    """Tick every box and pick a document for every document field (what a 缺项补正 asks)."""
    ticked = set()
    for f in fields:
        sel = f"#f-{f.id}"
        if f.type == "boolean" and not page.is_checked(sel):
            page.check(sel)
            ticked.add(f.id)
        elif (f.type == "document" or f.properties.get("document") == "true") and not page.input_value(sel):
            pick_first(page, sel)
    return ticked


@pytest.mark.sqlite_only
def test_a_case_worked_with_only_required_fields_ends_with_no_flag_set(
        browser: Any, shipped: tuple[str, Engine], photo: Path, clock: FakeClock) -> None:
    base, engine = shipped
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    try:
        login(page, base, "zhang")
        page.goto(base + "/cases/new")
        page.select_option("#f-process", "petition_case")
        page.fill("#f-title", "村集体土地征收补偿款分配争议")
        page.click("main button[type=submit]")
        page.wait_for_load_state()
        case_id = None
        touched: set[str] = set()
        declared: dict[str, FormField] = {}
        bounced: list[tuple[str, str]] = []
        for _step in range(150):
            ready = [t for t in engine.tasks() if t.state == "ready" and t.element_id not in STANDING]
            if not ready and case_id is not None and engine.instance(case_id).status in ("running", "waiting"):
                clock.advance(days=31)  # nobody acts: waits and deadlines fire
                engine.fire_due_timers()
                continue
            if not ready:
                break
            task = engine.task(ready[0].id)
            case_id = task.instance_id
            declared.update({f.id: f for f in task.form})
            if not page.url.endswith(f"/tasks/{task.id}"):
                page.goto(f"{base}/tasks/{task.id}")
            if page.locator("#claim").count():
                page.click("#claim")
                page.wait_for_load_state()
            wants_document = any(f.type == "document" or f.properties.get("document") == "true" for f in task.form)
            if wants_document and not engine.attachments.list(case_id):
                page.set_input_files("form[action$='/attachments'] input[type=file]", str(photo))
                page.click("form[action$='/attachments'] button")
                page.wait_for_load_state()
            touched |= fill_required(page, task.form, photo, beijing_today(clock()))
            if page.locator(".bounce").count():
                # Sent back by a gate: the task says why, and the user does what it asks.
                bounced.append((task.element_id, page.inner_text(".bounce")))
                touched |= tick_everything(page, task.form)
            page.click("#complete")
            page.wait_for_load_state()
            assert "has-error" not in page.content(), (task.element_id, page.inner_text("main"))
        assert case_id is not None
        for _element, text in bounced:
            assert "本任务已被退回" in text, text
        final = engine.instance(case_id)
        assert final.status == "completed", (final.status, final.incident_message)
        for f in declared.values():
            if f.type == "boolean" and f.id not in touched:
                assert final.data.get(f.id) is (typed_default(f) is True), f.id
    finally:
        context.close()


def case_document(engine: Engine, instance_id: int) -> str:
    """The id of a document of the case, recorded first as an API client would upload it."""
    existing = engine.attachments.list(instance_id)
    if existing:
        return existing[0].id
    return engine.attachments.add(instance_id, attachment_id="doc-scan-1", filename="材料.pdf", size=1,
                                  sha256="0" * 64, content_type="application/pdf", actor="zhang").id


def minimal(task_form: list[FormField], today: str, document: str | None = None) -> dict[str, Any]:
    """What completing a task needs at least, as an API client would send it (`document`: the
    id of a case document for the required document fields)."""
    data: dict[str, Any] = {}
    for f in task_form:
        if "required" not in f.rules:
            continue
        if f.type == "boolean":
            data[f.id] = True
        elif f.type == "enum":
            data[f.id] = f.options[0][0]
        elif f.type == "long":
            data[f.id] = int(f.rules.get("min") or 1)
        elif f.type == "date":
            data[f.id] = today
        elif f.type == "user" or f.id in ROLES:
            data[f.id] = "zhang"
        elif f.type in ("file", "document"):
            if document is not None:
                data[f.id] = document
        else:
            data[f.id] = "已办理"
    return data


@pytest.mark.sqlite_only
def test_the_three_visit_tasks_on_a_phone_with_a_photo(
        browser: Any, shipped: tuple[str, Engine], photo: Path, clock: FakeClock) -> None:
    base, engine = shipped
    inst = engine.start("petition_case", {"title": "村集体土地征收补偿款分配争议"}, actor="zhang")
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    seen: list[str] = []
    try:
        login(page, base, "zhang")
        for _step in range(20):
            (task,) = [engine.task(t.id) for t in engine.tasks(instance_id=inst.id)
                       if t.element_id not in STANDING][:1]
            if task.element_id not in VISIT_TASKS:
                if task.assignee is None:
                    engine.claim(task.id, actor="zhang")
                engine.complete(task.id, minimal(task.form, beijing_today(clock()), case_document(engine, inst.id)),
                                actor="zhang")
                if set(seen) == set(VISIT_TASKS):
                    break
                continue
            seen.append(task.element_id)
            page.goto(f"{base}/tasks/{task.id}")
            if page.locator("#claim").count():
                page.click("#claim")
                page.wait_for_load_state()
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, task.element_id
            form_top = page.locator("form.task-form").bounding_box()["y"]
            assert form_top < page.locator("aside").bounding_box()["y"], "the form comes before the summary"
            file_fields = [f for f in task.form if f.type == "file"]
            if file_fields:
                page.set_input_files(f"#f-{file_fields[0].id}", str(photo))
            for f in task.form:
                if "required" in f.rules and f.type == "string" and not page.input_value(f"#f-{f.id}"):
                    page.fill(f"#f-{f.id}", "到现场查看，听取诉求")
            button = page.locator("#complete")
            button.scroll_into_view_if_needed()
            box = button.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["height"] >= 40
            if len(seen) == 1:
                page.screenshot(path=str(SHOTS / "phone_task.png"), full_page=True)
            if not file_fields:  # the shipped form has no file field: the photo goes to the case
                page.set_input_files("form[action$='/attachments'] input[type=file]", str(photo))
                page.click("form[action$='/attachments'] button")
                page.wait_for_load_state()
                for f in task.form:
                    if "required" in f.rules and f.type == "string" and not page.input_value(f"#f-{f.id}"):
                        page.fill(f"#f-{f.id}", "到现场查看，听取诉求")
            if page.locator(".bounce").count():  # sent back: do what it asks
                tick_everything(page, task.form)
            page.click("#complete")
            page.wait_for_load_state()
            assert "has-error" not in page.content(), page.inner_text("main")
        assert sorted(set(seen)) == sorted(VISIT_TASKS)
        photos = [a for a in engine.attachments.list(inst.id) if a.filename == "现场.png"]
        assert len(photos) == len(seen) and all(a.size == len(PNG) and a.uploaded_by == "zhang" for a in photos)
    finally:
        context.close()
