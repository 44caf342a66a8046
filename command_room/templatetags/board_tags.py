"""The board's clocks, drawn by tags: a board at 100 incidents draws a few hundred clocks,
and a template include per clock (with its own translations) was most of its render time."""

from functools import lru_cache

from django import template
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

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
    if incident["notices_overdue"]:
        items.append(f'<li class="overdue-units" data-overdue-units="{incident["notices_overdue"]}">'
                     f'<strong>{escape(incident["overdue_units"])}</strong>{labels["colon"]}'
                     f'{escape(incident["overdue_names"])}</li>')
    if not items:
        items.append(f'<li class="muted">{labels["none"]}</li>')
    return mark_safe("".join(items))


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
             "none": _("no open clocks")}
    return {key: escape(text) for key, text in words.items()}
