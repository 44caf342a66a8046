"""The situation brief as a Word document in official form (zezhou_heat.official_docx): red
title 泽州县供热突发事件应急指挥部 / 态势简报, the issue number (第N期), the moment of the
state, then numbered sections under 黑体 headings (一、二、…), body in 仿宋. Always in
Simplified Chinese, whatever the reader's language: it is sent upward."""

from django.utils import timezone
from django.utils.formats import number_format
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import override
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from command_room.brief import clock_lines, event_sentence
from zezhou_heat import official_docx as official
from zezhou_heat.official_docx import (
    BODY_FONT,
    BODY_SIZE,
    HEADING_FONT,
    RED,
    SMALL_TABLE_SIZE,
    TITLE_FONT,
    TITLE_SIZE,
)

HEADQUARTERS = "泽州县供热突发事件应急指挥部"
OFFICE = "泽州县供热突发事件应急指挥部办公室"  # the plan's name (§2)
TITLE = "态势简报"
TITLE_LINE = Pt(35)  # as the written report's title
NUMERALS = "一二三四五六七八九十"


def situation_brief_docx(brief, number) -> bytes:
    with override("zh-hans"):
        document = official.official_document()
        _masthead(document, brief, number)
        sections = [
            (_("Overall situation"), _totals),
            (_("Incidents in progress"), _incidents),
            (_("Responses and task groups"), _responses),
            (_("Warnings in effect"), _warnings),
            (_("Overdue clocks and units"), _overdue),
            (_("Latest events"), _events),
        ]
        for numeral, (title, write) in zip(NUMERALS, sections, strict=False):
            _heading(document, f"{numeral}、{title}")
            write(document, brief)
        _signature(document, brief)
    return official.saved(document)


def local_moment(moment):
    moment = timezone.localtime(moment)
    return f"{moment.year}年{moment.month}月{moment.day}日{moment:%H}时{moment:%M}分"


def _masthead(document, brief, number):
    for text in (HEADQUARTERS, TITLE):
        official.run(official.paragraph(document, align=WD_ALIGN_PARAGRAPH.CENTER,
                                        spacing=TITLE_LINE),
                     text, TITLE_FONT, TITLE_SIZE, color=RED)
    _centred(document, f"第{number}期")
    _centred(document, f"（截至{local_moment(brief.as_of)}）")
    if brief.scope:
        names = "、".join(str(unit) for unit in brief.scope)
        _centred(document, f"（本期仅含{names}的事件）")
    official.paragraph(document)


def _centred(document, text):
    official.run(official.paragraph(document, align=WD_ALIGN_PARAGRAPH.CENTER),
                 text, BODY_FONT, BODY_SIZE)


def _heading(document, text):
    official.run(official.paragraph(document, indent=True), text, HEADING_FONT, BODY_SIZE)


def _line(document, text, bold=False):
    official.run(official.paragraph(document, indent=True), text, BODY_FONT, BODY_SIZE,
                 bold=bold)


def _table(document, header, rows):
    table = document.add_table(rows=1 + len(rows), cols=len(header), style="Table Grid")
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for column, label in enumerate(header):
        official.cell_text(table.cell(0, column), label, SMALL_TABLE_SIZE, bold=True)
    for row_index, row in enumerate(rows, start=1):
        for column, text in enumerate(row):
            official.cell_text(table.cell(row_index, column), text, SMALL_TABLE_SIZE,
                               align=WD_ALIGN_PARAGRAPH.LEFT if column else None)
    return table


def _totals(document, brief):
    totals = brief.totals
    levels = totals.level_rows()
    header = [_("Incidents in progress"), *[str(label) for _level, label, _n in levels],
              _("Households without heat"), _("Overdue clocks"),
              _("Units not yet acknowledged"), _("Warnings in effect")]
    figures = [totals.incidents, *[count for _level, _label, count in levels],
               number_format(totals.households, force_grouping=True), totals.overdue_clocks,
               totals.unacknowledged_units, totals.warnings]
    _table(document, header, [[str(figure) for figure in figures]])
    if totals.drills:
        _line(document, _("Drill incidents listed below and not counted: %(drills)s") % {
            "drills": totals.drills})


def _incidents(document, brief):
    if not brief.incidents:
        _line(document, _("No incidents in progress."))
        return
    header = [_("Incident"), _("Grade"), _("Response"), _("Status"), _("First report"),
              _("Clocks")]
    _table(document, header, [_incident_row(incident, brief) for incident in brief.incidents])


def _incident_row(incident, brief):
    drill = "【演练】" if incident.is_drill else ""
    response = incident.response
    reported = timezone.localtime(incident.reported_at)
    return [
        f"{drill}#{incident.pk} {incident.township} {incident.place}\n"
        f"{incident.get_scenario_display()}\n{_casualties(incident)}",
        incident.get_grade_display(),
        f"{response.get_level_display()}\n{response.get_state_display()}" if response
        else _("not started"),
        incident.get_status_display(),
        f"{reported:%m-%d %H:%M}\n" + _("%(time)s ago") % {
            "time": timesince(incident.reported_at, brief.as_of)},
        "\n".join(clock_lines(incident, brief.as_of)) or _("no open clocks"),
    ]


def _casualties(incident):
    return _("%(deaths)s dead, %(injured)s seriously injured, %(households)s households "
             "without heat") % {"deaths": incident.deaths, "injured": incident.serious_injuries,
                                "households": number_format(incident.households_affected,
                                                          force_grouping=True)}


def _responses(document, brief):
    if not brief.groups:
        _line(document, _("No task group activated."))
    for active in brief.groups:
        response = active["response"]
        _line(document, f"#{response.incident_id} {response.incident.township} "
                        f"{response.get_level_display()}（{response.get_state_display()}）",
              bold=True)
        for row in active["groups"]:
            _line(document, _("%(group)s: acknowledged %(ack)s/%(noticed)s, checklist done "
                              "%(done)s/%(items)s") % {
                "group": row["group"].name, "ack": row["acknowledged"],
                "noticed": row["noticed"], "done": row["done"], "items": row["items"]})


def _warnings(document, brief):
    if not brief.warnings:
        _line(document, _("No warning in effect."))
    for warning in brief.warnings:
        drill = "【演练】" if warning.is_drill else ""
        townships = "、".join(str(t) for t in warning.townships.all())
        _line(document, f"{drill}{warning.get_level_display()} · "
                        f"{warning.get_category_display()} · {townships} · "
                        + _("since %(moment)s") % {"moment": local_moment(warning.issued_at)})


def _overdue(document, brief):
    if not brief.overdue:
        _line(document, _("No clock is overdue."))
    for row in brief.overdue:
        _line(document, f"#{row.incident.pk} {row.incident.township}：" + "；".join(row.lines()))


def _events(document, brief):
    if not brief.events:
        _line(document, _("No changes recorded."))
    for event in brief.events:
        moment = timezone.localtime(event.occurred_at)
        _line(document, f"{moment:%m-%d %H:%M} {event_sentence(event)}{_repeated(event)}")


def _repeated(event):
    if event.repeated == 1:
        return ""
    return _("(%(repeated)s alike)") % {"repeated": event.repeated}


def _signature(document, brief):
    official.paragraph(document)
    for text in (OFFICE, local_moment(brief.as_of)):
        official.run(official.paragraph(document, align=WD_ALIGN_PARAGRAPH.RIGHT), text,
                     BODY_FONT, BODY_SIZE)
