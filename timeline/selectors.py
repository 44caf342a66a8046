from timeline.models import Event

MAX_PAGE = 500


def events_after(seq, audience, *, limit=MAX_PAGE):
    """The events after `seq` that the audience may see, oldest first. `audience` narrows
    a queryset of events (command_room.audience.Audience)."""
    events = audience.filter(Event.objects.filter(seq__gt=seq))
    return events.order_by("seq")[:limit]


def events_for_subject(instance):
    return Event.objects.filter(
        subject_type=instance._meta.label_lower, subject_id=str(instance.pk)
    ).select_related("incident__township").order_by("seq")


def latest_seq():
    return Event.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
