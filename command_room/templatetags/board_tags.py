"""The board's clocks, drawn by a tag: a board at 100 incidents draws a few hundred, and
a template include per clock (with its own translations) was most of the render time."""

from functools import lru_cache

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def board_clock(clock):
    """A clock still asking for something (neither met nor cancelled), as
    incidents/_clock.html draws it; the browser counts it down from data-due."""
    labels = _labels(get_language())
    if clock["state"] == "failed":
        return format_html('<span class="clock clock-failed">{}</span>', labels["failed"])
    due = timezone.localtime(clock["due_at"])
    text = (labels["overdue"] if clock["state"] == "overdue"
            else f'{labels["due"]} {due:%H:%M}')
    return format_html(
        '<span class="clock clock-{}" data-due="{}" data-label-left="{}" data-label-over="{}">'
        "{}</span>", clock["state"], due.isoformat(), labels["left"], labels["over"], text)


@lru_cache(maxsize=8)
def _labels(language):
    """The clock's words in `language` (the active one), translated once per process."""
    return {"left": _("left"), "over": _("overdue by"), "overdue": _("overdue"),
            "due": _("due"), "failed": _("clock set aside: check its times")}
