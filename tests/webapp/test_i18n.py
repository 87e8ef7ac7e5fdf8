"""Every template and code string is translated to Chinese; the committed .mo matches the .po."""

from __future__ import annotations

import io
import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "webapp" / "translations" / "zh_Hans_CN" / "LC_MESSAGES"
METHODS = [("webapp/**.py", "python"), ("webapp/templates/**.html", "jinja2")]


def test_every_string_is_translated() -> None:
    po = read_po(io.BytesIO((CATALOG / "messages.po").read_bytes()))
    found = {msg for _f, _l, msg, _c, _x in extract_from_dir(
        str(ROOT), METHODS, keywords={"_": None, "gettext": None})
        if isinstance(msg, str)}
    assert found, "no strings extracted"
    untranslated = sorted(m for m in found if not (po.get(m) and po.get(m).string))
    assert not untranslated, f"add these to messages.po (pybabel update): {untranslated}"


def test_mo_is_compiled_from_po() -> None:
    po = read_po(io.BytesIO((CATALOG / "messages.po").read_bytes()))
    mo = read_mo(io.BytesIO((CATALOG / "messages.mo").read_bytes()))
    assert {m.id: m.string for m in po if m.id} == {m.id: m.string for m in mo if m.id}, \
        "recompile: pybabel compile -d webapp/translations"


def test_every_diagram_problem_has_a_chinese_text_with_the_same_details() -> None:
    from engine.problem_texts import TEXTS

    po = read_po(io.BytesIO((CATALOG / "messages.po").read_bytes()))
    for code, english in TEXTS.items():
        message = po.get(english)
        assert message is not None and message.string, f"problem {code!r}: add {english!r} to messages.po"
        assert sorted(re.findall(r"%\((\w+)\)s", message.string)) == sorted(re.findall(r"%\((\w+)\)s", english)), code
