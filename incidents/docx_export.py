"""The written report (书面报告) as a Word document, in the form a county office submits it.

Layout follows GB/T 9704-2012 (党政机关公文格式): A4 paper, margins top 37 mm, bottom 35 mm,
left 28 mm, right 26 mm; title in 方正小标宋简体 二号 (22 pt), body in 仿宋_GB2312 三号 (16 pt)
with a two-character first-line indent and fixed 28 pt line spacing; page number centred in
the footer as "— 1 —". Fonts are named for East Asian text (w:eastAsia); Latin text and
digits use the common fallback (宋体, 仿宋) that every Chinese Windows installation has.

All text is in Simplified Chinese whatever the reader's language. Formatting only: what a
report contains and whether it is complete are decided elsewhere (incidents.written_report).
"""

import io
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import override
from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt, RGBColor

from incidents import written_report
from zezhou_heat.text import printable

TITLE_FONT = ("方正小标宋简体", "宋体")
BODY_FONT = ("仿宋_GB2312", "仿宋")
TITLE_SIZE = Pt(22)  # 二号
BODY_SIZE = Pt(16)  # 三号
TABLE_SIZE = Pt(14)  # 四号
LINE_SPACING = Pt(28)
RED = RGBColor(0xFF, 0x00, 0x00)
ADDRESSEE = "县委、县政府："
SENDER = "泽州县供热突发事件应急救援指挥部办公室"
EMPTY = "（未填写）"
FIGURE_LABELS = [
    ("deaths", "死亡人数"),
    ("serious_injuries", "重伤人数"),
    ("direct_loss", "直接经济损失（元）"),
    ("households_affected", "停暖户数"),
    ("area_affected", "影响供热面积（平方米）"),
]


def written_report_docx(report) -> bytes:
    with override("zh-hans"):
        document = Document()
        _page_setup(document)
        _heading(document, report)
        _line(document, ADDRESSEE)
        for element in written_report.ELEMENTS:
            _element(document, element, report.contents.get(element.key, ""))
        _figures_table(document, report)
        _signature(document, report)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _page_setup(document):
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(footer, "— ", ("宋体", "宋体"), TABLE_SIZE)
    footer._p.append(parse_xml(
        f'<w:fldSimple {nsdecls("w")} w:instr="PAGE"><w:r><w:t>1</w:t></w:r></w:fldSimple>'))
    _run(footer, " —", ("宋体", "宋体"), TABLE_SIZE)


def _heading(document, report):
    incident = report.incident
    if incident.is_drill:
        _run(_paragraph(document), "【演练】", BODY_FONT, BODY_SIZE, bold=True, color=RED)
    township = incident.township.short_name or incident.township.name
    title = f"关于{township}{incident.place}{incident.get_scenario_display()}事件的书面报告"
    paragraph = _paragraph(document, align=WD_ALIGN_PARAGRAPH.CENTER, spacing=Pt(35))
    _run(paragraph, title, TITLE_FONT, TITLE_SIZE)
    if not report.is_complete:
        missing = "、".join(str(e.label) for e in written_report.missing_elements(report.contents))
        paragraph = _paragraph(document, align=WD_ALIGN_PARAGRAPH.CENTER)
        _run(paragraph, f"（草稿，尚缺：{missing}）", BODY_FONT, BODY_SIZE, color=RED)
    _paragraph(document)


def _element(document, element, value):
    paragraph = _paragraph(document, indent=True)
    _run(paragraph, f"{element.label}：", BODY_FONT, BODY_SIZE, bold=True)
    _run(paragraph, str(value).strip() or EMPTY, BODY_FONT, BODY_SIZE)


def _figures_table(document, report):
    _paragraph(document)
    table = document.add_table(rows=2, cols=len(FIGURE_LABELS), style="Table Grid")
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for column, (field, label) in enumerate(FIGURE_LABELS):
        _cell(table.cell(0, column), label, bold=True)
        _cell(table.cell(1, column), _number(getattr(report, field)))


def _cell(cell, text, bold=False):
    paragraph = cell.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(paragraph, text, BODY_FONT, TABLE_SIZE, bold=bold)


def _number(value):
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _signature(document, report):
    submitted = timezone.localtime(report.submitted_at)
    _paragraph(document)
    _paragraph(document)
    for text in (SENDER, f"{submitted.year}年{submitted.month}月{submitted.day}日 {submitted:%H:%M}"):
        _run(_paragraph(document, align=WD_ALIGN_PARAGRAPH.RIGHT), text, BODY_FONT, BODY_SIZE)


def _line(document, text):
    _run(_paragraph(document), text, BODY_FONT, BODY_SIZE)


def _paragraph(document, align=None, indent=False, spacing=LINE_SPACING):
    paragraph = document.add_paragraph()
    paragraph.alignment = align
    fmt = paragraph.paragraph_format
    fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, spacing
    fmt.space_before = fmt.space_after = Pt(0)
    if indent:
        fmt.first_line_indent = Pt(32)  # two characters of 三号
    return paragraph


def _run(paragraph, text, font, size, bold=False, color=None):
    """A run in the given (East Asian font, fallback) pair: the fallback names the Latin
    fonts, the first the East Asian one. Text that XML cannot hold (control characters in
    rows stored before the text rule) is left out rather than failing the document."""
    run = paragraph.add_run(printable(text))
    run.font.name, run.font.size, run.font.bold = font[1], size, bold
    run._element.rPr.rFonts.set(qn("w:eastAsia"), font[0])
    if color is not None:
        run.font.color.rgb = color
    return run
