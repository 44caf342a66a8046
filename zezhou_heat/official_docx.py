"""Word documents in the form county offices send them (GB/T 9704-2012, 党政机关公文格式):
A4 paper, margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm; title in 方正小标宋简体
二号 (22 pt), body in 仿宋_GB2312 三号 (16 pt) with a two-character first-line indent and fixed
28 pt line spacing, first-level headings in 黑体; page number centred in the footer as "— 1 —".
Fonts are named for East Asian text (w:eastAsia); Latin text and digits use the common fallback
(宋体, 仿宋, 黑体) that every Chinese Windows installation has.

Formatting only: the written report (incidents.docx_export) and the situation brief
(command_room.brief_docx) decide what they say.
"""

import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt, RGBColor

from zezhou_heat.text import printable

TITLE_FONT = ("方正小标宋简体", "宋体")
BODY_FONT = ("仿宋_GB2312", "仿宋")
HEADING_FONT = ("黑体", "黑体")
TITLE_SIZE = Pt(22)  # 二号
BODY_SIZE = Pt(16)  # 三号
TABLE_SIZE = Pt(14)  # 四号
SMALL_TABLE_SIZE = Pt(12)  # 小四: wide tables
LINE_SPACING = Pt(28)
RED = RGBColor(0xFF, 0x00, 0x00)


def official_document():
    """An empty document on A4 with the official margins and the page number."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run(footer, "— ", ("宋体", "宋体"), TABLE_SIZE)
    footer._p.append(parse_xml(
        f'<w:fldSimple {nsdecls("w")} w:instr="PAGE"><w:r><w:t>1</w:t></w:r></w:fldSimple>'))
    run(footer, " —", ("宋体", "宋体"), TABLE_SIZE)
    return document


def saved(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def paragraph(document, align=None, indent=False, spacing=LINE_SPACING):
    added = document.add_paragraph()
    added.alignment = align
    fmt = added.paragraph_format
    fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, spacing
    fmt.space_before = fmt.space_after = Pt(0)
    if indent:
        fmt.first_line_indent = Pt(32)  # two characters of 三号
    return added


def run(paragraph, text, font, size, bold=False, color=None):
    """A run in the given (East Asian font, fallback) pair: the fallback names the Latin
    fonts, the first the East Asian one. Text that XML cannot hold (control characters in
    rows stored before the text rule) is left out rather than failing the document."""
    added = paragraph.add_run(printable(text))
    added.font.name, added.font.size, added.font.bold = font[1], size, bold
    added._element.rPr.rFonts.set(qn("w:eastAsia"), font[0])
    if color is not None:
        added.font.color.rgb = color
    return added


def cell_text(cell, text, size=TABLE_SIZE, bold=False, align=WD_ALIGN_PARAGRAPH.CENTER):
    target = cell.paragraphs[0]
    target.alignment = align
    run(target, text, BODY_FONT, size, bold=bold)
