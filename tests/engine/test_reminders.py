"""Reminders (engine/reminders.py) on the shipped petition case: near-due and overdue work listed
for its holder and its case leader, and mailed through a real SMTP conversation (a local aiosmtpd
sink) once per task and threshold, however many scheduler processes scan."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from engine import Engine, FakeClock, Settings, start_scheduler
from engine.timers import REMINDER_JOB_ID
from tests.conftest import EngineWith
from tests.engine.test_scheduler import wait_until
from tests.processes.conftest import Driver
from tests.processes.test_petition_case import to_handling

FIELD_WORK = {"site_visit", "hear_petitioner", "consult_elders"}


class Sink:
    """An SMTP server that keeps every message it is sent (aiosmtpd's handler protocol)."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Any]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Sink, int]]:
    """A local SMTP sink on a free port, stopped after the test."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


@pytest.fixture
def driver(engine_with: EngineWith, clock: FakeClock) -> Iterator[Driver]:
    """The shipped petition case, worked to handling: li holds the field work, wang leads."""
    d = Driver(engine_with, clock, save_restore=False)
    to_handling(d)
    d.engine.accounts.set_details("li", display_name="李承办", unit=None, email="li@example.org")
    d.engine.accounts.set_details("wang", display_name="王领导", unit=None, email="wang@example.org")
    yield d


def mailing(engine_with: EngineWith, db_url: str, port: int) -> Engine:
    """Another engine on the same database with SMTP configured, as a scheduler process is."""
    return engine_with(settings=Settings(database_url=db_url, smtp_host="127.0.0.1", smtp_port=port,
                                         smtp_from="anjie@example.org"))


def subject(msg: Any) -> str:
    return str(make_header(decode_header(msg["Subject"])))


def test_near_due_and_overdue_are_each_mailed_once(driver: Driver, engine_with: EngineWith, db_url: str,
                                                     clock: FakeClock, smtp: tuple[Sink, int]) -> None:
    d = driver
    sink, port = smtp
    first, second = mailing(engine_with, db_url, port), mailing(engine_with, db_url, port)
    assert first.reminders.scan() == 0 and sink.messages == [], "nothing is near due yet"
    due = d.task("site_visit").due_at
    clock.set(due - timedelta(days=2))
    claimed = first.reminders.scan()
    assert second.reminders.scan() == 0 and first.reminders.scan() == 0, "once per task and threshold"
    near = [r for r in first.reminders.sent() if r["threshold"] == "near_due"]
    assert claimed == len(near) == len(sink.messages) >= 3
    field_work = {t.id for t in d.engine.tasks(instance_id=d.instance_id) if t.element_id in FIELD_WORK}
    assert field_work <= {r["task_id"] for r in near}
    for rcpt, msg in sink.messages:
        assert "wang@example.org" in rcpt, "the case leader is told too"
        assert msg["From"] == "anjie@example.org"
        assert "临近期限" in subject(msg) and "请登录案结系统及时办理" in msg.get_payload(decode=True).decode()
    assert any(set(rcpt) == {"li@example.org", "wang@example.org"} for rcpt, _ in sink.messages)
    clock.set(due + timedelta(hours=1))
    overdue = second.reminders.scan()
    assert first.reminders.scan() == 0 and second.reminders.scan() == 0
    assert overdue >= 3 and len(sink.messages) == claimed + overdue
    assert all("已超期" in subject(m) for _, m in sink.messages[claimed:])
    sent = first.reminders.sent()
    assert len({(r["task_id"], r["threshold"]) for r in sent}) == len(sent)
    assert all(r["outcome"] == "sent" for r in sent)


def test_in_app_list_for_holder_and_leader_without_smtp(driver: Driver, clock: FakeClock) -> None:
    d = driver
    engine = d.engine  # opened without SMTP settings
    assert engine.reminders.mailer is None
    assert engine.reminders.counts("li", ["case_handler"]).near_due == 0
    due = d.task("site_visit").due_at
    clock.set(due - timedelta(days=2))
    mine = engine.reminders.for_user("li", ["case_handler"])
    assert FIELD_WORK <= {d.engine.task(r.task_id).element_id for r in mine}
    assert all(r.threshold == "near_due" and r.role == "holder" for r in mine)
    led = engine.reminders.for_user("wang", ["case_leader"])
    assert {r.task_id for r in mine if r.assignee == "li"} <= {r.task_id for r in led}
    assert all(r.role == "leader" for r in led if r.assignee == "li")
    assert engine.reminders.for_user("handler2", ["case_handler"]) == [], "someone else's assigned work"
    assert engine.reminders.counts("li", ["case_handler"]).near_due >= 3
    clock.set(due + timedelta(hours=1))
    counts = engine.reminders.counts("li", ["case_handler"])
    assert counts.overdue >= 3 and counts.near_due == 0
    # The header reuses a reader's counts for a minute; the reminders page reads afresh.
    d.complete("site_visit", site_visit_record="看过")
    clock.advance(seconds=10)
    assert engine.reminders.counts("li", ["case_handler"]) == counts
    assert engine.reminders.counts("li", ["case_handler"], fresh=True).overdue == counts.overdue - 1
    clock.advance(seconds=60)
    assert engine.reminders.counts("li", ["case_handler"]).overdue == counts.overdue - 1
    assert engine.reminders.scan() == 0 and engine.reminders.sent() == [], "no SMTP: no mail, nothing claimed"


def test_a_failing_server_is_recorded_and_not_retried(driver: Driver, engine_with: EngineWith, db_url: str,
                                                        clock: FakeClock) -> None:
    d = driver
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    engine = mailing(engine_with, db_url, port)
    clock.set(d.task("site_visit").due_at - timedelta(days=2))
    assert engine.reminders.scan() >= 3
    assert all(r["outcome"].startswith("failed") for r in engine.reminders.sent())
    assert engine.reminders.scan() == 0


def test_scans_at_the_same_moment_in_two_processes_mail_once(driver: Driver, engine_with: EngineWith, db_url: str,
                                                             clock: FakeClock, smtp: tuple[Sink, int]) -> None:
    d = driver
    sink, port = smtp
    engines = [mailing(engine_with, db_url, port) for _ in range(3)]
    clock.set(d.task("site_visit").due_at - timedelta(days=2))
    start = threading.Barrier(len(engines))
    claimed: list[int] = []

    def scan(engine: Engine) -> None:
        start.wait()
        claimed.append(engine.reminders.scan())

    threads = [threading.Thread(target=scan, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rows = engines[0].reminders.sent()
    assert sum(claimed) == len(rows) == len(sink.messages) >= 3, "the unique constraint decided each one"


def test_the_scheduler_mails_reminders_only_where_smtp_is_set(driver: Driver, engine_with: EngineWith,
                                                             db_url: str, clock: FakeClock,
                                                             smtp: tuple[Sink, int]) -> None:
    d = driver
    sink, port = smtp
    plain = start_scheduler(d.engine, interval=5)
    try:
        assert plain.get_job(REMINDER_JOB_ID) is None, "no SMTP: no reminder job"
    finally:
        plain.shutdown()
    engine = mailing(engine_with, db_url, port)
    clock.set(d.task("site_visit").due_at - timedelta(days=2))
    scheduler = start_scheduler(engine, interval=5)
    try:
        assert wait_until(lambda: len(sink.messages) >= 3, 15)
    finally:
        scheduler.shutdown()
    assert len(sink.messages) == len(engine.reminders.sent())
