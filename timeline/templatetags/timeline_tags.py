from django import template

from timeline import sentences
from timeline.kinds import event_label as label_of

register = template.Library()


@register.filter
def event_label(kind):
    return label_of(kind)


@register.filter
def event_subject(event):
    """What the event concerns, in the reader's language (timeline.sentences)."""
    return sentences.subject(event)


@register.filter
def event_sentence(event):
    """What happened, as a sentence built from the payload in the reader's language."""
    return sentences.sentence(event)
