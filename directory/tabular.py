"""The contact directory as a table: the columns, export to CSV/Excel, and reading an
Excel file back for import (validation lives in directory.importing)."""

import csv
import io
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django.utils.translation import override
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from zezhou_heat.text import printable


@dataclass(frozen=True)
class Column:
    key: str
    label: object  # lazy translation
    width: int = 16


COLUMNS = [
    Column("unit", _("Unit"), 28),
    Column("name", _("Name"), 14),
    Column("title", _("Title"), 18),
    Column("positions", _("Positions"), 26),
    Column("mobile", _("Mobile phone"), 16),
    Column("office_phone", _("Office phone"), 18),
    Column("on_duty", _("On duty now"), 10),
]
IMPORT_KEYS = ["unit", "name", "title", "positions", "mobile", "office_phone"]
POSITION_SEPARATORS = ["、", "，", ",", ";", "；"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def header_aliases():
    """Every header spelling we accept on import: the key, and the label in each language."""
    aliases = {}
    for column in COLUMNS:
        aliases[column.key] = column.key
        for language in ("zh-hans", "en"):
            with override(language):
                aliases[str(column.label).strip().lower()] = column.key
    return aliases


def person_row(person):
    holdings = [str(h.position) for h in person.holdings.all()]
    return {
        "unit": person.unit.name,
        "name": person.name,
        "title": person.title,
        "positions": "、".join(holdings),
        "mobile": getattr(person, "shown_mobile", ""),  # selectors.people(viewer) decides
        "office_phone": person.office_phone,
        "on_duty": str(_("Yes")) if getattr(person, "on_duty", False) else "",
    }


def safe_cell(value):
    """Keep spreadsheet programs from running a cell as a formula (CSV injection), and
    leave out control characters a worksheet cannot hold (rows stored before the text rule;
    openpyxl refuses them, which failed the whole export)."""
    text = printable(str(value))
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(people):
    buffer = io.StringIO()
    buffer.write("\ufeff")  # Excel on Chinese Windows needs the BOM to read UTF-8
    writer = csv.writer(buffer)
    writer.writerow([str(c.label) for c in COLUMNS])
    for person in people:
        row = person_row(person)
        writer.writerow([safe_cell(row[c.key]) for c in COLUMNS])
    return buffer.getvalue().encode("utf-8")


def to_xlsx(people, title):
    return workbook(COLUMNS, map(person_row, people), title)


def workbook(columns, rows, title):
    """An Excel workbook of `rows` (dicts by column key): a bold header of the columns'
    labels, their widths, every cell made safe (safe_cell). Other apps' exports use it too."""
    book = Workbook()
    sheet = book.active
    sheet.title = str(title)[:31]
    sheet.append([str(c.label) for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    for row in rows:
        sheet.append([safe_cell(row[c.key]) for c in columns])
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


class UnreadableFile(Exception):
    pass


def read_xlsx(file):
    """Rows of the first sheet as (line number, {key: text}); unknown columns are ignored.
    Raises UnreadableFile when the file is not an Excel workbook or lacks a needed column."""
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a non-workbook
        raise UnreadableFile(_("The file is not an Excel workbook (.xlsx).")) from error
    rows = workbook.worksheets[0].iter_rows(values_only=True)
    header = next(rows, None) or ()
    aliases = header_aliases()
    keys = [aliases.get(str(cell or "").strip().lower()) for cell in header]
    missing = [c for c in COLUMNS if c.key in ("unit", "name") and c.key not in keys]
    if missing:
        raise UnreadableFile(_("The first row must name the columns; missing: %(columns)s.")
                             % {"columns": "、".join(str(c.label) for c in missing)})
    result = []
    for line, values in enumerate(rows, start=2):
        # A row may be shorter or longer than the header: extra cells are ignored.
        cells = zip(keys, values, strict=False)
        record = {key: _text(value) for key, value in cells if key in IMPORT_KEYS}
        if any(record.values()):
            result.append((line, record))
    workbook.close()
    return result


def _text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text[1:] if text.startswith("'") else text
