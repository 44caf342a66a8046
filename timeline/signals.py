"""What the floor tells the floors above.

`event_appended` is sent inside the transaction that appends an event, as soon as its row is
written: a receiver writes what follows from the event in the same transaction (notify: the
messages and deliveries of a notice), so it commits or rolls back with its cause; a receiver
that raises rolls the cause back too. `event_committed` is sent once per event after that
transaction commits (never for one that rolled back): the command room listens to push the
event to live screens. The timeline itself imports nobody above it."""

from django.dispatch import Signal

event_appended = Signal()  # sender: Event; keyword argument: event (in the transaction)
event_committed = Signal()  # sender: Event; keyword argument: event (after commit)
