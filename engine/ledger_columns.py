"""The ledger file's columns, read from the registration form of the deployed diagram.

The .xlsx template and the import follow the diagram: each field of the registration task's
form (docs/forms.md) is a column headed by the field's Chinese label, its coded values (an
`enum`'s options, a boolean's 是/否) offered as a drop-down list (data validation) from a hidden
code sheet, and a second sheet says what each column takes. A field that names a file or a
case document cannot come from a spreadsheet and has no column. The first column is the case
number, the business key that makes re-importing a file create nothing twice.

Texts of the explanation sheet are English here and translated by the caller's `say` (the web
app's catalogue is Chinese first), as the engine's problem texts are.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from .views import FormField

#: Field types a spreadsheet cell cannot hold (an uploaded file, one of the case's documents).
NOT_IN_FILES = frozenset({"file", "document"})
#: The case-number column: its header in the template and the other headers it is known by.
KEY_HEADER = "案件编号"
KEY_ALIASES = frozenset({KEY_HEADER, "case number", "business_key", "business key"})
YES, NO = "是", "否"
TRUE_CELLS = frozenset({YES, "true", "yes", "y", "1", "√", "✓"})
FALSE_CELLS = frozenset({NO, "false", "no", "n", "0"})
#: Rows of the template prepared with drop-downs and formats.
TEMPLATE_ROWS = 10_000
CASES_SHEET, HELP_SHEET, CODES_SHEET = "台账", "填写说明", "代码表"

TYPE_TEXTS = {
    "string": "Text",
    "long": "Whole number",
    "boolean": "是 or 否 (drop-down)",
    "date": "Date, e.g. 2026-03-02",
    "enum": "One of the drop-down values",
    "user": "User name of an active user",
}


@dataclass(frozen=True)
class Column:
    """One column of the ledger file: the form field it fills and how a cell reads."""

    field: FormField

    @property
    def header(self) -> str:
        return self.field.label or self.field.id

    @property
    def headers(self) -> set[str]:
        """Every header this column is recognised by: its label, English label, field id."""
        names = {self.header, self.field.id, self.field.properties.get("label_en", "")}
        return {normal_header(n) for n in names if n}

    @property
    def required(self) -> bool:
        return "required" in self.field.rules

    def choices(self) -> list[str]:
        """The drop-down values: option names (what people read), or 是/否."""
        if self.field.type == "enum":
            return [name for _id, name in self.field.options]
        if self.field.type == "boolean":
            return [YES, NO]
        return []

    def value(self, cell: Any) -> Any:
        """The cell as the form's `accept` takes it: an option name becomes its id, 是/否 a
        boolean, an Excel date an ISO date, a whole float an integer; anything else as it is,
        so that `accept` names what is wrong with it. None for an empty cell."""
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            return None
        kind = self.field.type
        if isinstance(cell, datetime):
            return cell.date().isoformat() if kind in ("date", "string") else cell.isoformat()
        if isinstance(cell, date):
            return cell.isoformat()
        if isinstance(cell, float) and cell.is_integer() and kind in ("long", "string", "enum"):
            cell = int(cell)
        if kind == "long":
            return cell if isinstance(cell, int | float) and not isinstance(cell, bool) else str(cell).strip()
        text = str(cell).strip()
        if kind == "enum":
            by_name = {name: option for option, name in self.field.options}
            return by_name.get(text, text)
        if kind == "boolean":
            if isinstance(cell, bool):
                return cell
            low = text.lower()
            return True if low in TRUE_CELLS else False if low in FALSE_CELLS else text
        if kind == "date":
            return _iso_date(text)
        return text


def columns_of(fields: list[FormField]) -> list[Column]:
    """The file's columns for a registration form, in form order."""
    return [Column(f) for f in fields if f.type not in NOT_IN_FILES]


def normal_header(text: Any) -> str:
    """A header as compared: trimmed, lower case, without a required mark (*, （必填）)."""
    name = str(text or "").strip()
    name = re.sub(r"\s*(\*|＊|[（(]必填[)）])\s*$", "", name)
    return name.strip().lower()


def template(columns: list[Column], say: Callable[[str], str] = str) -> bytes:
    """The .xlsx template: the cases sheet with headers and drop-downs, the explanation sheet
    and the hidden code sheet the drop-downs read."""
    book = Workbook()
    cases = book.active
    cases.title = CASES_SHEET
    codes = book.create_sheet(CODES_SHEET)
    explained = book.create_sheet(HELP_SHEET)
    required_font, header_font = Font(bold=True, color="C00000"), Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    headers = [KEY_HEADER] + [c.header + (" *" if c.required else "") for c in columns]
    cases.append(headers)
    for index, cell in enumerate(cases[1], start=1):
        cell.fill = fill
        cell.font = required_font if headers[index - 1].endswith(" *") else header_font
        cases.column_dimensions[get_column_letter(index)].width = max(12, min(30, 2 * len(headers[index - 1]) + 4))
    cases.freeze_panes = "A2"
    cases["A1"].comment = Comment(say("Case number: the case's unique number (business key). "
                                      "Left empty, one is derived from the row's content."), "Anjie")
    code_column = 0
    for index, column in enumerate(columns, start=2):
        letter = get_column_letter(index)
        cells = f"{letter}2:{letter}{TEMPLATE_ROWS + 1}"
        if column.field.properties.get("help"):
            cases[f"{letter}1"].comment = Comment(column.field.properties["help"], "Anjie")
        choices = column.choices()
        if choices:
            code_column += 1
            code_letter = get_column_letter(code_column)
            codes.cell(row=1, column=code_column, value=column.header)
            for row, choice in enumerate(choices, start=2):
                codes.cell(row=row, column=code_column, value=choice)
            rule = DataValidation(type="list", allow_blank=True, showErrorMessage=True,
                                  formula1=f"'{CODES_SHEET}'!${code_letter}$2:${code_letter}${len(choices) + 1}",
                                  errorTitle=column.header, error=say("Choose one of the drop-down values."))
        elif column.field.type == "long":
            rule = DataValidation(type="whole", operator="between", allow_blank=True, showErrorMessage=True,
                                  formula1=str(column.field.rules.get("min", -(10**9))),
                                  formula2=str(column.field.rules.get("max", 10**9)),
                                  errorTitle=column.header, error=say("Enter a whole number."))
        else:
            rule = None
        if rule is not None:
            cases.add_data_validation(rule)
            rule.add(cells)
        if column.field.type == "date":
            for (cell,) in cases.iter_rows(min_row=2, max_row=201, min_col=index, max_col=index):
                cell.number_format = "yyyy-mm-dd"
    codes.sheet_state = "hidden"
    explained.append([say("Column"), say("Field"), say("Type"), say("Required"), say("Values"),
                      say("Left empty"), say("Explanation")])
    explained.append([KEY_HEADER, "business_key", say("Text"), say("No"), "", say("derived from the row"),
                      say("Case number: the case's unique number (business key). "
                          "Left empty, one is derived from the row's content.")])
    for column in columns:
        f = column.field
        values = "、".join(column.choices()) if column.choices() else ""
        explained.append([column.header, f.id, say(TYPE_TEXTS.get(f.type, f.type)),
                          say("Yes") if column.required else say("No"), values,
                          _shown_default(column), f.properties.get("help", "")])
    for cell in explained[1]:
        cell.font, cell.fill = header_font, fill
    for letter, width in zip("ABCDEFG", (18, 22, 22, 8, 50, 14, 60), strict=True):
        explained.column_dimensions[letter].width = width
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _shown_default(column: Column) -> str:
    default = column.field.default
    if default is None or default == "":
        return NO if column.field.type == "boolean" else ""
    if column.field.type == "boolean":
        return YES if default.strip().lower() == "true" else NO
    if column.field.type == "enum":
        return dict(column.field.options).get(default, default)
    return default


def _iso_date(text: str) -> str:
    """2026/3/2, 2026.3.2 and 2026年3月2日 read as 2026-03-02; anything else as it is."""
    match = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(\s+00:00(:00)?)?", text)
    if not match:
        return text
    try:
        return date(int(match[1]), int(match[2]), int(match[3])).isoformat()
    except ValueError:
        return text
