"""Ledger import (台账导入): the template follows the deployed form, every row is checked first,
imported cases start past their registration task with its data, a file imported twice
registers each case once."""

from __future__ import annotations

import hashlib
import io
import time
from datetime import date
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from engine import BusinessKeyTaken, CaseRow, EventType, check_cases, describe_import_problem, import_cases
from engine import case_template as template_of
from engine.campaigns import NewCampaign
from tests.conftest import DIAGRAMS, PROCESSES, EngineWith

SHIPPED = (PROCESSES / "risk_colour.dmn", PROCESSES / "petition_case.bpmn")


def running_campaign(engine: Any, name: str) -> None:
    """Start the campaign cases are imported into: the registration picks only a running one."""
    engine.deploy(PROCESSES / "backlog_campaign.bpmn", actor="designer")
    engine.campaigns.start(NewCampaign(
        name=name, unit="城关镇", phase_names=["排查摸底", "集中化解", "巩固提升"],
        phase_last_days=[date(2026, 3, 31), date(2026, 6, 30), date(2026, 7, 31)]), actor="coordinator")
HEADERS = ["案件编号", "收到日期", "来源", "信访人", "信访人数", "诉求", "事项类别", "集体访", "重复信访次数"]


def workbook(rows: list[list[Any]], headers: list[str] = HEADERS) -> bytes:
    """A ledger file as an office makes it (write-only, so 10,000 rows build fast)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("台账")
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def good_row(n: int, **change: Any) -> list[Any]:
    values = {"key": f"XF-2026-{n:05d}", "received": "2026-02-20", "source": "来访", "names": f"张{n}",
              "count": 1, "demand": "要求解决征地补偿", "subject": "征地", "collective": "否", "repeats": 2, **change}
    return list(values.values())


def test_the_template_has_the_forms_columns_drop_downs_and_an_explanation_sheet(engine_with: EngineWith) -> None:
    engine = engine_with(*SHIPPED)
    book = load_workbook(io.BytesIO(template_of(engine)))
    cases, codes, help_sheet = book["台账"], book["代码表"], book["填写说明"]
    headers = [c.value for c in cases[1]]
    assert headers[:4] == ["案件编号", "收到日期 *", "来源 *", "信访人 *"]
    assert "基本案情材料" not in headers  # a case document cannot come from a spreadsheet
    source_column = next(c.column_letter for c in cases[1] if c.value == "来源 *")
    [rule] = [r for r in cases.data_validations.dataValidation if str(r.sqref).startswith(f"{source_column}2:")]
    assert rule.type == "list" and str(rule.sqref) == f"{source_column}2:{source_column}10001"
    sheet, cells = rule.formula1.split("!")
    assert sheet == "'代码表'"
    sources = [c.value for (c,) in codes[cells.replace("$", "")]]
    assert sources == ["来访", "来信", "来电", "网上信访", "上级交办"]
    assert codes.sheet_state == "hidden"
    explained = {row[0]: row for row in help_sheet.iter_rows(min_row=2, values_only=True)}
    assert explained["事项类别"][4].startswith("征地、拆迁")
    assert explained["信访人数"][3] == "Yes" and explained["收到日期"][1] == "received_at"
    assert len(explained) == len(headers)


def test_the_template_follows_the_diagram_not_a_list_of_its_own(engine_with: EngineWith) -> None:
    engine = engine_with(DIAGRAMS / "forms" / "ledger_intake.bpmn")
    book = load_workbook(io.BytesIO(template_of(engine, process_key="ledger_intake", task_id="register_matter")))
    assert [c.value for c in book["台账"][1]] == ["案件编号", "收到日期 *", "信访人 *", "信访人数", "渠道 *", "集体访",
                                                 "所属专项行动"]
    assert [c.value for c in book["代码表"]["A"]] == ["渠道", "来访", "12345热线"]


def test_a_good_file_registers_each_case_past_registration_with_its_data(engine_with: EngineWith) -> None:
    engine = engine_with(*SHIPPED)
    body = workbook([good_row(1), good_row(2, collective="是", count=6, subject="拆迁")])
    seen: list[tuple[int, int]] = []
    running_campaign(engine, "2026年积案化解")
    report = import_cases(engine, body, campaign_id="2026年积案化解", actor="clerk",
                          progress=lambda done, total: seen.append((done, total)))
    assert not report.blocked and report.problems == [] and len(report.imported) == 2
    assert seen[-1] == (2, 2)
    second = engine.instance(report.imported[1])
    assert second.business_key == "XF-2026-00002"
    assert {k: second.data[k] for k in ("received_at", "petition_source", "petitioner_count", "subject",
                                        "collective_petition", "campaign_id", "handling_track")} == {
        "received_at": "2026-02-20", "petition_source": "visit", "petitioner_count": 6, "subject": "demolition",
        "collective_petition": True, "campaign_id": "2026年积案化解", "handling_track": "statutory"}
    assert "register_petition" not in {t.element_id for t in second.tasks}
    assert second.data["accept_deadline"]  # the path went on from registration as after a person's completion
    events = engine.history(second.id)
    imported = next(e for e in events if e.type == EventType.INSTANCE_IMPORTED)
    assert imported.detail == {"sha256": hashlib.sha256(body).hexdigest(), "file_name": "upload.xlsx", "row": 3}
    completed = next(e for e in events if e.type == EventType.TASK_COMPLETED)
    assert completed.element_id == "register_petition" and completed.actor == "clerk"
    assert imported.seq < completed.seq
    assert engine.verify_history(second.id).ok


def test_wrong_types_are_listed_by_row_and_column_and_nothing_is_imported(engine_with: EngineWith) -> None:
    engine = engine_with(*SHIPPED)
    body = workbook([good_row(1), good_row(2, received="二月", count="三"),
                     good_row(3, subject="房产", collective="可能"), good_row(4, names=None)])
    report = import_cases(engine, body)
    assert report.blocked and report.imported == []
    found = {(p.row, p.column, p.code) for p in report.problems}
    assert found == {(3, "收到日期", "not_a_date"), (3, "信访人数", "not_a_number"), (4, "事项类别", "not_an_option"),
                     (4, "集体访", "not_a_boolean"), (5, "信访人", "required")}
    option = next(p for p in report.problems if p.code == "not_an_option")
    assert describe_import_problem(option).startswith("Not one of the drop-down values (征地、拆迁")
    assert engine.tasks() == []  # no case was started


def test_a_missing_required_column_refuses_the_whole_file(engine_with: EngineWith) -> None:
    engine = engine_with(*SHIPPED)
    headers = [h for h in HEADERS if h != "诉求"] + ["备注"]
    rows = [[v for h, v in zip(HEADERS, good_row(1), strict=True) if h != "诉求"] + ["无"]]
    check = check_cases(engine, workbook(rows, headers))
    assert {(p.row, p.column, p.code) for p in check.problems} == {(1, "诉求", "missing_column"),
                                                                   (1, "备注", "unknown_column")}
    assert check.file_problem and check.good == []
    assert import_cases(engine, workbook(rows, headers), only_good_rows=True).blocked
    assert check_cases(engine, b"not a workbook").problems[0].code == "not_a_workbook"


def test_only_the_good_rows_of_a_mixed_file_on_request(engine_with: EngineWith) -> None:
    engine = engine_with(*SHIPPED)
    body = workbook([good_row(1), good_row(2, count="x"), good_row(3)])
    assert import_cases(engine, body).blocked
    assert engine.tasks() == []
    report = import_cases(engine, body, only_good_rows=True)
    assert len(report.imported) == 2 and report.blocked is False
    assert sorted(engine.instance(i).business_key for i in report.imported) == ["XF-2026-00001", "XF-2026-00003"]


def test_duplicates_in_the_file_are_problems_and_cases_in_the_ledger_are_skipped(engine_with: EngineWith) -> None:
    engine = engine_with(*SHIPPED)
    first = import_cases(engine, workbook([good_row(1), good_row(2)]))
    body = workbook([good_row(1), good_row(3), good_row(3, names="李某"),
                     good_row(4, key=None), good_row(4, key=None)])
    check = check_cases(engine, body)
    assert {(p.row, p.code, p.limit) for p in check.problems} == {(4, "duplicate_in_file", "3"),
                                                                  (6, "duplicate_row", "5")}
    assert check.existing == {2: first.imported[0]}
    report = import_cases(engine, body, only_good_rows=True)
    assert report.skipped == {2: first.imported[0]} and len(report.imported) == 2
    derived = engine.instance(report.imported[1]).business_key
    assert derived is not None and derived.startswith("IMP-")
    again = import_cases(engine, body, only_good_rows=True)
    assert again.imported == [] and len(again.skipped) == 3


def test_reuploading_the_same_file_creates_no_duplicates(engine_with: EngineWith) -> None:
    engine = engine_with(*SHIPPED)
    body = workbook([good_row(n) for n in range(1, 6)])
    assert len(import_cases(engine, body).imported) == 5
    again = import_cases(engine, body)
    assert again.imported == [] and sorted(again.skipped) == [2, 3, 4, 5, 6] and not again.blocked
    with pytest.raises(BusinessKeyTaken):
        engine.start("petition_case", {}, actor="clerk", business_key="XF-2026-00003")


def test_a_case_inside_a_stage_sub_process_is_imported_past_its_nested_task(engine_with: EngineWith) -> None:
    engine = engine_with(DIAGRAMS / "forms" / "ledger_intake.bpmn")
    body = workbook([["A-1", "2026-02-20", "王某", 2, "12345热线", "是"]],
                    ["案件编号", "收到日期", "信访人", "信访人数", "渠道", "集体访"])
    report = import_cases(engine, body, process_key="ledger_intake", task_id="register_matter")
    case = engine.instance(report.imported[0])
    assert [t.element_id for t in case.tasks] == ["handle_matter"]
    assert case.data["channel"] == "hotline" and case.data["collective_petition"] is True


@pytest.mark.sqlite_only
def test_ten_thousand_rows_are_checked_in_seconds(engine_with: EngineWith) -> None:
    """Every row of a 10,000-row file is checked (and three bad ones found) before anything is
    written; the import of such a file is measured by bench/ledger_import.py."""
    engine = engine_with(*SHIPPED)
    rows = [good_row(n) for n in range(10_000)]
    for n in (17, 5_000, 9_999):
        rows[n] = good_row(n, received="2026-13-01")
    body = workbook(rows)
    began = time.perf_counter()
    check = check_cases(engine, body)
    elapsed = time.perf_counter() - began
    assert check.total == 10_000 and len(check.good) == 9_997
    assert check.bad_rows == [19, 5_002, 10_001]
    assert elapsed < 30, f"checking 10,000 rows took {elapsed:.1f} s"


def test_an_imported_case_stands_where_the_same_registration_by_a_person_leaves_it(engine_with: EngineWith) -> None:
    engine = engine_with(*SHIPPED)
    [imported_id] = import_cases(engine, workbook([good_row(1, collective="是", count=7)]), actor="clerk").imported
    by_hand = engine.start("petition_case", {}, actor="clerk", business_key="XF-by-hand")
    [task] = by_hand.tasks
    engine.complete(task.id, {"received_at": "2026-02-20", "petition_source": "visit", "petitioner_names": "张1",
                              "petitioner_count": 7, "demand": "要求解决征地补偿", "subject": "land_acquisition",
                              "collective_petition": True, "repeat_count": 2}, actor="clerk")
    imported, typed = engine.instance(imported_id), engine.instance(by_hand.id)
    assert imported.data == typed.data
    assert [(t.element_id, t.due_at) for t in imported.tasks] == [(t.element_id, t.due_at) for t in typed.tasks]
    assert sorted(t.element_id for t in engine.timers() if t.instance_id == imported_id) == \
        sorted(t.element_id for t in engine.timers() if t.instance_id == by_hand.id)
    registration = engine.tasks(instance_id=imported_id, state="completed")
    assert [(t.element_id, t.completed_by) for t in registration] == [("register_petition", "clerk")]
    kinds = [e.type for e in engine.history(imported_id)]
    assert [k for k in kinds if k != EventType.INSTANCE_IMPORTED] == [e.type for e in engine.history(by_hand.id)]
    last = engine.history(imported_id)[-1].seq
    assert engine.replay(imported_id, last).data == imported.data


def test_an_import_job_keeps_its_progress_and_one_gone_silent_reads_as_interrupted(
        engine_with: EngineWith, clock: Any) -> None:
    engine = engine_with(*SHIPPED)
    jobs = engine.case_imports
    job = jobs.create_job(process_key="petition_case", file_name="台账.xlsx", sha256="0" * 64, campaign_id=None,
                          total=300, actor="clerk")
    jobs.job_progress(job.id, 100)
    assert (jobs.job(job.id).status, jobs.job(job.id).done) == ("running", 100)
    clock.advance(minutes=11)
    assert jobs.job(job.id).status == "interrupted" and jobs.jobs()[0].status == "interrupted"
    done = jobs.finish_job(job.id, {"imported": 300})
    assert (done.status, done.done, jobs.job(job.id).report) == ("done", 300, {"imported": 300})


def test_a_case_number_taken_in_the_same_or_an_earlier_batch_is_skipped_not_registered_twice(
        engine_with: EngineWith) -> None:
    """The batch reads the taken case numbers once (no query per case): a number given twice in
    one batch, or registered by another writer between batches, is still registered once."""
    engine = engine_with(*SHIPPED)
    other = engine_with()  # another process on the same database
    data = {"received_at": "2026-02-20", "petition_source": "visit", "petitioner_names": "张某", "petitioner_count": 1,
            "demand": "补偿", "subject": "land_acquisition", "repeat_count": 0}
    rows = [CaseRow("K-1", data, 2), CaseRow("K-1", data, 3), CaseRow("K-2", data, 4)]
    meanwhile: list[int] = []

    def progress(done: int) -> None:
        if done == 2 and not meanwhile:
            meanwhile.append(other.start("petition_case", {}, actor="clerk", business_key="K-2").id)

    done = engine.import_cases("petition_case", rows, task_id="register_petition", actor="clerk",
                               origin={"sha256": "x"}, batch_size=2, progress=progress)
    assert [(r.business_key, r.imported) for r in done] == [("K-1", True), ("K-1", False), ("K-2", False)]
    assert done[1].instance_id == done[0].instance_id and done[2].instance_id == meanwhile[0]
    assert engine.verify_history(done[0].instance_id).ok


def test_cases_imported_in_one_batch_go_on_like_any_case_and_later_cases_get_new_ids(
        engine_with: EngineWith) -> None:
    """A batch writes its cases together (the ids taken first, one flush, one insert of events):
    each case's next task completes, from this process's cache and from another process, its
    history verifies, and a case started afterwards gets an id of its own."""
    engine = engine_with(*SHIPPED)
    other = engine_with()
    ids = import_cases(engine, workbook([good_row(n) for n in range(1, 6)]), actor="clerk").imported
    assert len(set(ids)) == 5
    for n, case_id in enumerate(ids):
        [task] = engine.instance(case_id).tasks
        assert task.element_id == "check_acceptance"
        (engine if n % 2 else other).complete(task.id, {"accept_decision": "accepted"}, actor="clerk")
        assert engine.verify_history(case_id).ok and other.verify_history(case_id).ok
        assert engine.instance(case_id).tasks[0].element_id != "check_acceptance"
    later = engine.start("petition_case", {}, actor="clerk", business_key="XF-later")
    assert later.id not in ids and later.id > max(ids)
