from django import template

from timeline.kinds import event_label as label_of

register = template.Library()


@register.filter
def event_label(kind):
    return label_of(kind)
