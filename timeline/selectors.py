from timeline.models import Event

MAX_PAGE = 500


def events_after(seq, *, limit=MAX_PAGE):
    return Event.objects.filter(seq__gt=seq).select_related("actor").order_by("seq")[:limit]


def events_for_subject(instance):
    return Event.objects.filter(
        subject_type=instance._meta.label_lower, subject_id=str(instance.pk)
    ).order_by("seq")
