"""Designs (engine/designs.py): drafts per designer, and versions with their running instances."""

from __future__ import annotations

import pytest

from engine import DiagramInvalid, DraftNotFound, EngineError
from tests.conftest import DIAGRAMS, EngineWith

SIMPLE = DIAGRAMS / "simple_review.bpmn"


def test_drafts_are_kept_per_designer_and_may_have_errors(engine_with: EngineWith) -> None:
    engine = engine_with()
    broken = SIMPLE.read_bytes().replace(b'sourceRef="registered"', b'sourceRef="nowhere"')
    draft = engine.designs.save_draft("wang", "review.bpmn", broken, process_key="simple_review", base_version=1)
    assert draft.kind == "bpmn" and draft.source == broken
    assert engine.validate(broken)  # it would not deploy, but it is kept
    engine.designs.save_draft("wang", "review.bpmn", SIMPLE.read_bytes(), draft_id=draft.id)
    assert engine.designs.draft("wang", draft.id).source == SIMPLE.read_bytes()
    assert [d.id for d in engine.designs.drafts("wang")] == [draft.id]
    assert engine.designs.drafts("li") == []
    with pytest.raises(DraftNotFound):
        engine.designs.draft("li", draft.id)
    engine.designs.delete_draft("wang", draft.id)
    assert engine.designs.drafts("wang") == []


@pytest.mark.sqlite_only
@pytest.mark.parametrize("source", [
    b"not xml at all",
    b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"/>',
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>',
    b"<a>" + b"x" * 5_000_001 + b"</a>",
])
def test_a_file_that_is_not_a_safe_bpmn_or_dmn_document_is_not_stored(engine_with: EngineWith, source: bytes) -> None:
    engine = engine_with()
    with pytest.raises(DiagramInvalid) as refused:
        engine.designs.save_draft("wang", "upload.bpmn", source)
    assert isinstance(refused.value, EngineError) and refused.value.problems
    assert engine.designs.drafts("wang") == []


def test_versions_carry_change_notes_and_running_counts(engine_with: EngineWith) -> None:
    engine = engine_with(SIMPLE)
    first = engine.start("simple_review", actor="clerk")
    engine.start("simple_review", actor="clerk")
    changed = SIMPLE.read_bytes().replace(b'name="', b'name="new ', 1)
    engine.deploy(changed, actor="wang", note="改了名称")
    engine.start("simple_review", actor="clerk")
    engine.cancel(first.id, actor="coordinator", reason="test")
    versions = engine.designs.versions("simple_review")
    assert [(v.version, v.running, v.change_note, v.deployed_by) for v in versions] == [
        (2, 1, "改了名称", "wang"), (1, 1, None, "designer")]
    assert engine.designs.running_instances("simple_review", 1) == [first.id + 1]
    assert len(engine.designs.running_instances("simple_review")) == 2
