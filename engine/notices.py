"""Written notices (告知书, 意见书) generated from a case: the kinds, their versioned templates and
the .docx they render to.

A template is either text fields (title, body, signature) or an uploaded .docx; both name case
values as placeholders such as ``{{petitioner_names}}``. The shipped defaults are version 0 and
live here; each admin edit adds a version and keeps the older ones. Rendering only substitutes
the placeholders a kind declares: no template language runs, so a template cannot reach
anything but the values it is given.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.text.paragraph import Paragraph
from sqlalchemy import func, select

from . import operations
from .clock import Clock
from .errors import EngineError
from .models import NoticeTemplate
from .operations import Action
from .transactions import Transactions

#: ``{{ name }}``: a placeholder, letters, digits and underscores.
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
#: Largest uploaded .docx template.
MAX_TEMPLATE_BYTES = 2_000_000

#: Placeholders every kind offers (the case's own values, filled by the caller).
COMMON = {
    "case_number": "案件编号", "petitioner_names": "信访人", "received_at": "收到日期",
    "demand": "诉求", "subject": "事项类别", "office_name": "落款单位", "today": "成文日期",
    "case_leader": "包案领导", "case_handler": "承办人",
}


@dataclass(frozen=True)
class NoticeKind:
    """One kind of written notice: its name, the tasks at which it is written (task id → the
    task's document field it goes into), the placeholders beyond COMMON, and the shipped text."""

    id: str
    name: str
    tasks: Mapping[str, str]
    placeholders: Mapping[str, str]
    title: str
    body: str

    @property
    def all_placeholders(self) -> dict[str, str]:
        """Every placeholder the kind's templates may use, with its Chinese meaning."""
        return {**COMMON, **self.placeholders}


_OPENING = "{{petitioner_names}}：\n"
_SIGN = "{{office_name}}\n{{today}}"

KINDS: dict[str, NoticeKind] = {k.id: k for k in (
    NoticeKind(
        "accept_notice", "受理告知书", {"check_acceptance": "accept_notice_ref"}, {},
        "信访事项受理告知书",
        _OPENING + "你（们）于{{received_at}}提出的信访事项（案件编号：{{case_number}}），诉求为：{{demand}}。\n"
        "经审查，该事项属于本机关职权范围，符合《信访工作条例》规定的受理条件，本机关决定予以受理。\n"
        "本机关将自受理之日起六十日内办结；情况复杂的，经批准可以适当延长办理期限，延长期限不超过三十日，"
        "并将延期理由告知你（们）。\n特此告知。"),
    NoticeKind(
        "not_accepted_notice", "不予受理告知书",
        {"check_acceptance": "accept_notice_ref", "notify_not_accepted": "not_accepted_notice_ref"},
        {"not_accepted_reason": "不予受理理由", "redirect_channel": "导入渠道"},
        "信访事项不予受理告知书",
        _OPENING + "你（们）于{{received_at}}提出的信访事项（案件编号：{{case_number}}），诉求为：{{demand}}。\n"
        "经审查，{{not_accepted_reason}}。根据《信访工作条例》的规定，本机关不予受理。\n"
        "请你（们）依照有关法律、行政法规规定的程序，通过{{redirect_channel}}等法定途径提出。\n特此告知。"),
    NoticeKind(
        "extension_notice", "延期告知书", {"notify_extension": "extension_notice_ref"},
        {"extension_reason": "延期理由", "approved_extension_days": "批准延长天数",
         "extended_deadline": "延长后的办理期限"},
        "信访事项延期办理告知书",
        _OPENING + "你（们）提出的信访事项（案件编号：{{case_number}}），因{{extension_reason}}，"
        "不能在规定期限内办结。经批准，办理期限延长{{approved_extension_days}}日，"
        "延长后的办理期限为{{extended_deadline}}。\n本机关将在延长期限内办结并书面答复你（们）。\n特此告知。"),
    NoticeKind(
        "reply_opinion", "答复意见书", {"draft_reply": "reply_ref", "reply_on_the_spot": "reply_ref"},
        {"reply_text": "答复意见"},
        "信访事项处理意见书",
        _OPENING + "你（们）于{{received_at}}提出的信访事项（案件编号：{{case_number}}），诉求为：{{demand}}。\n"
        "本机关经调查核实，现答复如下：\n{{reply_text}}\n"
        "如对本处理意见不服，可以自收到本意见书之日起三十日内，请求本机关的上一级机关复查。"),
    NoticeKind(
        "review_opinion", "复查意见书", {"review_case": "review_opinion_ref"},
        {"review_decision": "复查意见", "review_requested_on": "复查申请日期"},
        "信访事项复查意见书",
        _OPENING + "你（们）于{{review_requested_on}}对信访事项（案件编号：{{case_number}}）的处理意见不服，"
        "请求复查。本机关经复查，意见如下：{{review_decision}}。\n"
        "如对本复查意见不服，可以自收到本意见书之日起三十日内，向复查机关的上一级机关请求复核。"),
    NoticeKind(
        "second_review_opinion", "复核意见书", {"second_review_case": "second_review_opinion_ref"},
        {"second_review_decision": "复核意见", "second_review_requested_on": "复核申请日期"},
        "信访事项复核意见书",
        _OPENING + "你（们）于{{second_review_requested_on}}对信访事项（案件编号：{{case_number}}）的复查意见不服，"
        "请求复核。本机关经复核，意见如下：{{second_review_decision}}。\n"
        "本复核意见为终结意见。信访人对复核意见不服，仍以同一事实和理由提出信访的，不再受理。"),
)}


class NoticeTemplateInvalid(EngineError):
    """A template was refused: it names a placeholder its kind does not offer, is empty, or is
    not a .docx. `problem` says which, `names` the unknown placeholders."""

    def __init__(self, kind: str, problem: str, names: tuple[str, ...] = ()) -> None:
        super().__init__(f"the {kind} template was refused: {problem} {', '.join(names)}".strip())
        self.kind, self.problem, self.names = kind, problem, names


@dataclass(frozen=True)
class TemplateView:
    """One version of a notice template (version 0: the shipped default)."""

    kind: str
    version: int
    title: str
    body: str
    signature: str
    docx_filename: str | None
    created_by: str
    created_at: datetime | None


class NoticeTemplates:
    """Read and add versions of the notice templates, and render a notice from the newest."""

    def __init__(self, tx: Transactions, clock: Clock, office_name: str) -> None:
        self.tx = tx
        self.clock = clock
        self.office_name = office_name

    def default(self, kind: str) -> TemplateView:
        """The shipped text of a kind, as version 0."""
        k = KINDS[kind]
        return TemplateView(kind, 0, k.title, k.body, _SIGN, None, "system", None)

    def versions(self, kind: str) -> list[TemplateView]:
        """Every version of a kind's template, newest first, ending with the shipped default."""
        with self.tx.read() as s:
            rows = s.scalars(select(NoticeTemplate).where(NoticeTemplate.kind == _known(kind))
                             .order_by(NoticeTemplate.version.desc()))
            return [_view(r) for r in rows] + [self.default(kind)]

    def current(self, kind: str) -> TemplateView:
        """The version in use: the newest."""
        return self.versions(kind)[0]

    def docx(self, kind: str, version: int) -> bytes | None:
        """The uploaded .docx of one version, or None if that version is text fields."""
        with self.tx.read() as s:
            row = s.scalar(select(NoticeTemplate).where(NoticeTemplate.kind == _known(kind),
                                                        NoticeTemplate.version == version))
            return row.docx if row is not None else None

    def save(self, kind: str, *, actor: str, title: str = "", body: str = "", signature: str = "",
             docx: bytes | None = None, docx_filename: str | None = None) -> TemplateView:
        """Add a version: text fields, or an uploaded .docx (then the text fields are ignored).
        Raises NoticeTemplateInvalid naming unknown placeholders."""
        k = KINDS[_known(kind)]
        if docx is not None:
            text = _docx_text(kind, docx)
            title, body, signature = k.title, "", ""
        else:
            title, body, signature = title.strip(), body.strip(), signature.strip()
            if not title or not body:
                raise NoticeTemplateInvalid(kind, "a title and a body are needed")
            text = "\n".join((title, body, signature))
        unknown = tuple(sorted({m for m in PLACEHOLDER.findall(text)} - set(k.all_placeholders)))
        if unknown:
            raise NoticeTemplateInvalid(kind, "unknown placeholders:", unknown)
        with self.tx.write() as s:
            latest = s.scalar(select(func.max(NoticeTemplate.version)).where(NoticeTemplate.kind == kind)) or 0
            row = NoticeTemplate(kind=kind, version=latest + 1, title=title, body=body, signature=signature,
                                 docx=docx, docx_filename=docx_filename, created_by=actor, created_at=self.clock())
            s.add(row)
            s.flush()
            operations.append(s, Action.NOTICE_TEMPLATE_SAVED, at=self.clock(), actor=actor,
                              target=f"notice template {kind}", after={"version": row.version,
                                                                        "docx": docx_filename})
            return _view(row)

    def render(self, kind: str, values: Mapping[str, str]) -> tuple[bytes, int]:
        """The notice as .docx bytes from the newest template, and that template's version.
        `values` are the case's values as people read them; `office_name` and a missing value
        fall back to the settings' office and a blank line to fill by hand."""
        template = self.current(kind)
        filled = {**{"office_name": self.office_name}, **{k: v for k, v in values.items() if v}}
        if template.docx_filename is not None:
            source = self.docx(kind, template.version)
            assert source is not None
            return _fill_docx(source, filled), template.version
        return _text_docx(template, filled), template.version


def substitute(text: str, values: Mapping[str, str]) -> str:
    """Replace each placeholder by its value; one without a value becomes a blank to fill in."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1)) or "________", text)


def _text_docx(template: TemplateView, values: Mapping[str, str]) -> bytes:
    """A formal notice: a centred title, the body's paragraphs indented two characters, the
    signature and date right-aligned (as 信访 offices set them), in a Song typeface."""
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "仿宋"
    style.font.size = Pt(16)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "仿宋")
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(substitute(template.title, values))
    run.bold = True
    run.font.size = Pt(22)
    lines = substitute(template.body, values).splitlines()
    for i, line in enumerate(lines):
        p = doc.add_paragraph(line)
        if i > 0:  # the salutation stands flush left, the rest indents two characters
            p.paragraph_format.first_line_indent = Pt(32)
    doc.add_paragraph()
    for line in substitute(template.signature, values).splitlines():
        doc.add_paragraph(line).alignment = WD_ALIGN_PARAGRAPH.RIGHT
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _paragraphs(doc: object) -> list[Paragraph]:
    """Every paragraph of a document: the body, table cells, headers and footers."""
    found: list[Paragraph] = list(doc.paragraphs)  # type: ignore[attr-defined]
    for table in doc.tables:  # type: ignore[attr-defined]
        for row in table.rows:
            for cell in row.cells:
                found.extend(cell.paragraphs)
    for section in doc.sections:  # type: ignore[attr-defined]
        found.extend(section.header.paragraphs)
        found.extend(section.footer.paragraphs)
    return found


def _fill_docx(source: bytes, values: Mapping[str, str]) -> bytes:
    """Fill an uploaded template. Word splits text into runs anywhere, a placeholder too; a
    paragraph holding one gets its text back in its first run (keeping that run's format)."""
    doc = Document(io.BytesIO(source))
    for p in _paragraphs(doc):
        if "{{" not in p.text or not PLACEHOLDER.search(p.text):
            continue
        runs = p.runs
        if not runs:  # text only inside a hyperlink or field: left as Word keeps it
            continue
        text = substitute(p.text, values)
        runs[0].text = text
        for r in runs[1:]:
            r.text = ""
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _docx_text(kind: str, body: bytes) -> str:
    if len(body) > MAX_TEMPLATE_BYTES:
        raise NoticeTemplateInvalid(kind, "the file is too large")
    try:
        doc = Document(io.BytesIO(body))
    except Exception:  # python-docx raises several kinds for a file that is not a .docx
        raise NoticeTemplateInvalid(kind, "the file is not a .docx document") from None
    return "\n".join(p.text for p in _paragraphs(doc))


def docx_text(body: bytes) -> str:
    """The text of a .docx, paragraph by paragraph (tests and previews read notices back)."""
    return "\n".join(p.text for p in _paragraphs(Document(io.BytesIO(body))))


def _known(kind: str) -> str:
    if kind not in KINDS:
        raise NoticeTemplateInvalid(kind, "no such kind of notice")
    return kind


def _view(r: NoticeTemplate) -> TemplateView:
    return TemplateView(r.kind, r.version, r.title, r.body, r.signature, r.docx_filename, r.created_by,
                        r.created_at)
