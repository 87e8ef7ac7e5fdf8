"""engine/data.py: task and start data are refused before anything is stored when they carry
control characters or integers the databases cannot hold."""

from __future__ import annotations

import pytest

from engine import DataInvalid
from tests.conftest import EngineWith
from tests.engine import bpmn_builder as b

BAD = [
    {"title": "张\x00某"},
    {"title": "ok", "notes": ["a", {"deep": "b\x1bc"}]},
    {"ti\x00tle": "ok"},
    {"title": "ok", "extension_days": 2**70},
]


@pytest.mark.parametrize("bad", BAD, ids=["nul", "escape-nested", "nul-key", "huge-int"])
def test_bad_values_are_refused_and_the_ledger_and_inbox_keep_working(engine_with: EngineWith,
                                                                      bad: dict[str, object]) -> None:
    """A NUL once broke the ledger and inbox for everyone on PostgreSQL."""
    engine = engine_with(b.user_tasks_process("p", 2))
    with pytest.raises(DataInvalid):
        engine.start("p", bad, actor="clerk")
    inst = engine.start("p", {"title": "李某"}, actor="clerk")
    with pytest.raises(DataInvalid):
        engine.complete(inst.tasks[0].id, bad, actor="wang")
    assert engine.instance(inst.id).data == {"title": "李某"}
    assert engine.queries.ledger().total == 1
    assert engine.queries.inbox("wang", ["case_handler"]).counts.total == 1
    done = engine.complete(inst.tasks[0].id, {"notes": "第一行\n\t第二行\r\n", "count": 2**62}, actor="wang")
    assert done.data["count"] == 2**62
