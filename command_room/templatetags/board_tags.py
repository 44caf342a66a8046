"""The board's clocks, drawn by tags: a board at 100 incidents draws a few hundred clocks,
and a template include per clock (with its own translations) was most of its render time."""

from functools import lru_cache
from html import escape as _text  # a str's escaping, without Django's lazy-string wrapper

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from zezhou_heat.figures import amount

register = template.Library()


@register.simple_tag
def board_clock(clock):
    """A clock still asking for something (neither met nor cancelled), as
    incidents/_clock.html draws it; the browser counts it down from data-due."""
    return mark_safe(_clock(clock, _labels(get_language())))


@register.simple_tag
def board_clocks(incident):
    """The command room's clocks cell of one incident (a row of command_room.selectors):
    its report and inquiry clocks, its notices acknowledged with the next to fall due, and
    its overdue units as a count and the first names."""
    labels = _labels(get_language())
    items = [f'<li data-kind="{clock["kind"]}"><span class="clock-kind">'
             f'{labels[clock["kind"]]}</span> {_clock(clock, labels)}</li>'
             for clock in incident["report_clocks"]]
    if incident["notices_total"]:
        next_clock = _clock(incident["notice_clock"], labels) if incident["notice_clock"] else ""
        items.append(f'<li data-kind="notice_ack"><span class="clock-kind">'
                     f'{labels["acknowledged"]} {incident["notices_acknowledged"]}/'
                     f'{incident["notices_total"]}</span> {next_clock}</li>')
    if incident["deliveries"]:
        items.append(f'<li data-kind="deliveries">{_deliveries(incident["deliveries"], labels)}</li>')
    if incident["notices_overdue"]:
        items.append(f'<li class="overdue-units" data-overdue-units="{incident["notices_overdue"]}">'
                     f'<strong>{escape(incident["overdue_units"])}</strong>{labels["colon"]}'
                     f'{escape(incident["overdue_names"])}</li>')
    if not items:
        items.append(f'<li class="muted">{labels["none"]}</li>')
    return mark_safe("".join(items))


@register.simple_tag
def board_rows(incidents, drill, not_started, households):
    """The command room's incident rows, as _panels.html drew them with a variable node per
    cell: at 100 incidents those nodes (each resolved, localized and escaped) were most of the
    render. Text (labels, townships, places) is escaped here; pks, codes and the ISO time are
    the code's own values; households as figures.amount writes them. A row of the county's
    board is drawn once per language: the board kept from one event to the next keeps the
    rows the event did not change (command_room.selectors), and their HTML with them."""
    drill, not_started, households = _text(drill), _text(not_started), _text(households)
    key = (get_language(), drill, not_started, households)
    rows = []
    for incident in incidents:
        drawn = incident.__dict__.setdefault("drawn", {})  # Row attributes, not its items
        if key not in drawn:
            drawn[key] = _board_row(incident, drill, not_started, households)
        rows.append(drawn[key])
    return mark_safe("".join(rows))


def _board_row(incident, drill, not_started, households):
    url = reverse("incidents:list")
    pk, response = incident["pk"], incident["response"]
    classes = ("overdue" if incident["has_overdue"] else "") + (
        " drill-row" if incident["is_drill"] else "")
    tag = f' <span class="tag drill">{drill}</span>' if incident["is_drill"] else ""
    if response:
        cell = (f'<span class="level level-{response["level"]}">'
                f'{_text(response["level_label"])}</span>\n          '
                f'<span class="state state-{response["state"]}">'
                f'{_text(response["state_label"])}</span>')
    else:
        cell = f'<span class="muted">{not_started}</span>'
    return (
        f'\n      <tr data-incident="{pk}" class="{classes}">\n'
        f'        <td><a href="{url}{pk}/">#{pk}</a>{tag}\n'
        f'          <small class="since" data-since="{incident["since"]}"></small></td>\n'
        f'        <td><span class="grade grade-{incident["grade"]}">'
        f'{_text(incident["grade_label"])}</span></td>\n'
        f'        <td>{_text(incident["township"])} <small>{_text(incident["place"])}'
        f'</small></td>\n'
        f'        <td>{_text(incident["scenario_label"])}</td>\n'
        f'        <td class="response-cell">{cell}</td>\n'
        f'        <td class="number" data-label="{households}">'
        f'{_text(amount(incident["households_affected"]))}</td>\n'
        f'        <td><ul class="room-clocks">{board_clocks(incident)}</ul></td>\n'
        f'      </tr>\n    ')


@register.simple_tag
def group_chips(rows, acknowledged, checklist):
    """The task groups of one response in the command room, one chip each (see board_rows:
    a node per number was most of the groups' render)."""
    acknowledged, checklist = _text(acknowledged), _text(checklist)
    chips = []
    for row in rows:
        group, noticed, acked = row["group"], row["noticed"], row["acknowledged"]
        done, items = row["done"], row["items"]
        state = ' class="all-acknowledged"' if noticed and acked == noticed else ""
        progress = (f'<meter min="0" max="{items}" value="{done}"></meter> '
                    f'<span class="done-count">{done}/{items}</span>' if items else "—")
        chips.append(
            f'\n      <li data-group="{group["pk"]}"{state}>\n'
            f'        <strong>{_text(group["name"])}</strong>\n'
            f'        <span class="progress-cell">{acknowledged} <meter min="0" '
            f'max="{noticed or 1}" value="{acked}"></meter> '
            f'<span class="ack-count">{acked}/{noticed}</span></span>\n'
            f'        <span class="progress-cell">{checklist} {progress}</span>\n'
            f'        <small class="group-units">{_text(group["units"])}</small>\n'
            f'      </li>')
    return mark_safe("".join(chips))


@register.simple_tag
def notice_items(notices, back, csrf_token, acknowledge):
    """The unit dashboard's notices still to acknowledge, each with its button (rows of
    command_room.selectors.pending_notices; see board_rows)."""
    labels = _labels(get_language())
    back, acknowledge, csrf_token = _text(back), _text(acknowledge), _text(str(csrf_token))
    url = reverse("incidents:list")
    items = []
    for notice in notices:
        action = reverse("response:acknowledge", args=[notice["pk"]])
        items.append(
            f'\n    <li data-notice="{notice["pk"]}">\n'
            f'      <a href="{url}{notice["incident_id"]}/">#{notice["incident_id"]} '
            f'{_text(notice["township"])}</a>\n'
            f'      {_text(notice["level_label"])} → {_text(notice["unit"])} '
            f'{_clock(notice["clock"], labels)}'
            f'{_deliveries(notice["deliveries"], labels) if notice["deliveries"] else ""}\n'
            f'      <form method="post" action="{action}" class="inline">'
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{csrf_token}">\n'
            f'        <input type="hidden" name="next" value="{back}">\n'
            f'        <button type="submit" class="primary">{acknowledge}</button></form>\n'
            f'    </li>')
    return mark_safe("".join(items))


@register.simple_tag
def board_deliveries(counts):
    """An incident's or a notice's activation notices as delivered and acknowledged (the
    wall's row: the same words as the command room's)."""
    return mark_safe(_deliveries(counts, _labels(get_language())))


def _deliveries(counts, labels):
    """"已送达 n/m · 已确认 k/m": of the notices' m recipients, n reached and k acknowledged."""
    return (f'<span class="delivery-counts" data-recipients="{counts["recipients"]}" '
            f'data-delivered="{counts["delivered"]}" data-acknowledged="{counts["acknowledged"]}">'
            + labels["deliveries"] % counts + '</span>')


def _clock(clock, labels):
    """The clock's HTML. Kinds, states and times are the code's own values, the labels are
    escaped once (_labels), so only the names of units need escaping here: a board draws
    hundreds of clocks, and format_html's escaping of every argument was a third of it."""
    if clock["state"] == "failed":
        return f'<span class="clock clock-failed">{labels["failed"]}</span>'
    due = timezone.localtime(clock["due_at"])
    text = labels["overdue"] if clock["state"] == "overdue" else f'{labels["due"]} {due:%H:%M}'
    return (f'<span class="clock clock-{clock["state"]}" data-due="{due.isoformat()}" '
            f'data-label-left="{labels["left"]}" data-label-over="{labels["over"]}">{text}</span>')


@lru_cache(maxsize=8)
def _labels(language):
    """The clocks' words in `language` (the active one), translated and escaped once per
    process."""
    words = {"left": _("left"), "over": _("overdue by"), "overdue": _("overdue"),
             "due": _("due"), "failed": _("clock set aside: check its times"),
             "written_report": _("Written report"), "inquiry_reply": _("Inquiry"),
             "acknowledged": _("Notices acknowledged"), "colon": _(": "),
             "none": _("no open clocks"),
             "deliveries": _("Delivered %(delivered)s/%(recipients)s · acknowledged "
                             "%(acknowledged)s/%(recipients)s")}
    return {key: escape(text) for key, text in words.items()}
