from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from timeline.kinds import check_event, event_label
from timeline.models import Event, Notification
from timeline.sentences import line
from timeline.signals import event_appended, event_committed
from zezhou_heat import confirmations

# Any constant works; it only has to be the same for every writer of the timeline.
TIMELINE_LOCK_KEY = 0x7A7A_7469


def subject_of(instance):
    return instance._meta.label_lower, str(instance.pk), str(instance)[:255]


def append_event(*, actor, kind, subject=None, subject_ref=None, old=None, new=None,
                 incident=None, notify=()):
    """Append one event inside the caller's transaction.

    On PostgreSQL a transaction-level advisory lock is held from here to commit, so
    sequence numbers become visible in order: a reader that has seen event N has seen
    every event below N. (SQLite serialises writers anyway.) Call it last in a service,
    just before the transaction commits, to keep the lock short. Once the outermost
    transaction commits, `timeline.signals.event_committed` tells the live views; before
    that, inside it, `event_appended` lets the floors above write what follows from it.
    """
    check_event(kind, old=old, new=new)  # declared in timeline/kinds.py, or UndeclaredEvent
    subject_type, subject_id, subject_label = subject_ref or subject_of(subject)
    with transaction.atomic():
        hold_timeline_lock()
        event = Event.objects.create(
            actor=actor if actor and actor.is_authenticated else None,
            actor_name=_actor_name(actor),
            kind=kind,
            subject_type=subject_type,
            subject_id=subject_id,
            subject_label=subject_label,
            incident=incident,
            old=old,
            new=new,
        )
        Notification.objects.bulk_create(
            [Notification(event=event, recipient=user) for user in set(notify)])
        event_appended.send(sender=Event, event=event)
    transaction.on_commit(lambda: event_committed.send(sender=Event, event=event))
    confirmations.record(lambda: _("%(what)s: %(subject)s") % {"what": event_label(kind),
                                                               "subject": line(event)})
    return event


def append_events(entries):
    """Append many events by no actor in one go (a batch of deliveries' outcomes): each entry
    is append_event's keywords (kind, subject, incident, old, new). One lock and one insert
    for all; each event then as append_event's: `event_appended` inside the transaction,
    `event_committed` after commit, in order."""
    if not entries:
        return []
    rows = []
    for entry in entries:
        check_event(entry["kind"], old=entry.get("old"), new=entry.get("new"))
        subject_type, subject_id, subject_label = subject_of(entry["subject"])
        rows.append(Event(actor=None, actor_name="", kind=entry["kind"],
                          subject_type=subject_type, subject_id=subject_id,
                          subject_label=subject_label, incident=entry.get("incident"),
                          old=entry.get("old"), new=entry.get("new")))
    with transaction.atomic():
        hold_timeline_lock()
        events = Event.objects.bulk_create(rows)
        for event in events:
            event_appended.send(sender=Event, event=event)
    transaction.on_commit(lambda: [event_committed.send(sender=Event, event=event)
                                   for event in events])
    return events


def hold_timeline_lock():
    """Take the timeline's lock until the caller's transaction ends: a writer that numbers
    something from the events already written takes it before it counts them."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TIMELINE_LOCK_KEY])


def _actor_name(actor):
    if actor is None or not actor.is_authenticated:
        return ""
    return actor.get_full_name() or actor.get_username()


def notifications_read(*, actor, notification=None):
    """Mark the actor's notifications read: those whose ids are given (one row of the
    notifications page), or all of them. Returns how many were unread."""
    unread = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if notification:
        unread = unread.filter(pk__in=notification)
    return unread.update(read_at=timezone.now())
