from django import template

from command_room.brief import clock_lines

register = template.Library()


@register.simple_tag
def brief_clocks(incident, brief):
    """An incident's open clocks as the brief states them at its moment."""
    return clock_lines(incident, brief.as_of)
