"""The written report (书面报告) as a Word document, in the form a county office submits it.

Layout follows GB/T 9704-2012 (党政机关公文格式): see zezhou_heat.official_docx.

All text is in Simplified Chinese whatever the reader's language. Formatting only: what a
report contains and whether it is complete are decided elsewhere (incidents.written_report).
"""

from decimal import Decimal

from django.utils import timezone
from django.utils.translation import override
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from incidents import written_report
from zezhou_heat import official_docx as official
from zezhou_heat.official_docx import BODY_FONT, BODY_SIZE, RED, TITLE_FONT, TITLE_SIZE

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
        document = official.official_document()
        _heading(document, report)
        _line(document, ADDRESSEE)
        for element in written_report.ELEMENTS:
            _element(document, element, report.contents.get(element.key, ""))
        _figures_table(document, report)
        _signature(document, report)
    return official.saved(document)


def _heading(document, report):
    incident = report.incident
    if incident.is_drill:
        official.run(official.paragraph(document), "【演练】", BODY_FONT, BODY_SIZE, bold=True, color=RED)
    township = incident.township.short_name or incident.township.name
    title = f"关于{township}{incident.place}{incident.get_scenario_display()}事件的书面报告"
    paragraph = official.paragraph(document, align=WD_ALIGN_PARAGRAPH.CENTER, spacing=Pt(35))
    official.run(paragraph, title, TITLE_FONT, TITLE_SIZE)
    if not report.is_complete:
        missing = "、".join(str(e.label) for e in written_report.missing_elements(report.contents))
        paragraph = official.paragraph(document, align=WD_ALIGN_PARAGRAPH.CENTER)
        official.run(paragraph, f"（草稿，尚缺：{missing}）", BODY_FONT, BODY_SIZE, color=RED)
    official.paragraph(document)


def _element(document, element, value):
    paragraph = official.paragraph(document, indent=True)
    official.run(paragraph, f"{element.label}：", BODY_FONT, BODY_SIZE, bold=True)
    official.run(paragraph, str(value).strip() or EMPTY, BODY_FONT, BODY_SIZE)


def _figures_table(document, report):
    official.paragraph(document)
    table = document.add_table(rows=2, cols=len(FIGURE_LABELS), style="Table Grid")
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for column, (field, label) in enumerate(FIGURE_LABELS):
        official.cell_text(table.cell(0, column), label, bold=True)
        official.cell_text(table.cell(1, column), _number(getattr(report, field)))


def _number(value):
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _signature(document, report):
    submitted = timezone.localtime(report.submitted_at)
    official.paragraph(document)
    official.paragraph(document)
    for text in (SENDER, f"{submitted.year}年{submitted.month}月{submitted.day}日 {submitted:%H:%M}"):
        official.run(official.paragraph(document, align=WD_ALIGN_PARAGRAPH.RIGHT), text, BODY_FONT, BODY_SIZE)


def _line(document, text):
    official.run(official.paragraph(document), text, BODY_FONT, BODY_SIZE)

