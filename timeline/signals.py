"""What the floor tells the floors above: `event_committed` is sent once per event after the
transaction that appended it commits (never for one that rolled back). The command room
listens to push the event to live screens; the timeline itself imports nobody above it."""

from django.dispatch import Signal

event_committed = Signal()  # sender: Event; keyword argument: event
