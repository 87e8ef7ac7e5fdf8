"""Element documentation in the shipped diagrams is instructions for users, in Chinese."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from tests.processes.conftest import SHIPPED

DEVELOPER_TEXT = re.compile(r"DOMAIN|issue|\.(bpmn|dmn|md|py)\b|[A-Za-z]+_[A-Za-z_]+|[A-Za-z]{4,}")


@pytest.mark.sqlite_only
@pytest.mark.parametrize("diagram", SHIPPED, ids=lambda p: p.name)
def test_documentation_speaks_to_users_not_developers(diagram: Path) -> None:
    root = etree.parse(str(diagram)).getroot()
    texts = [el.text or "" for el in root.iter() if isinstance(el.tag, str)
             and etree.QName(el).localname in {"documentation", "description"}]
    assert texts
    offending = [t for t in texts if DEVELOPER_TEXT.search(t)]
    assert offending == []
