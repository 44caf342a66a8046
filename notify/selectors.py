"""Reads of notify, with what their pages need."""

from django.db.models import OuterRef, Subquery

from notify.choices import DeliveryStatus
from notify.models import Delivery, OutboxMessage
from notify.sms_text import masked
from zezhou_heat.permissions import VIEW_ALL_MOBILES


def outbox(viewer):
    """The outbox, newest first, each message with `status` (its delivery's, as a gateway's
    receipts would have made it) and `shown_address`: the whole address for whoever may see
    every mobile number (directory.selectors.PhoneBook), else masked."""
    deliveries = Delivery.objects.filter(key=OuterRef("key"))
    messages = OutboxMessage.objects.annotate(
        status=Subquery(deliveries.values("status")[:1]),
        recipient=Subquery(deliveries.values("recipient")[:1]),
    ).order_by("-sent_at", "-pk")
    return OutboxPage(messages, whole=viewer.has_perm(VIEW_ALL_MOBILES))


class OutboxPage:
    """The outbox messages as rows, addresses shown as the viewer may see them."""

    def __init__(self, messages, *, whole):
        self.messages, self.whole = messages, whole

    def rows(self, messages):
        labels = dict(DeliveryStatus.choices)
        for message in messages:
            message.shown_address = message.address if self.whole else masked(message.address)
            message.status_label = labels.get(message.status, labels[DeliveryStatus.SENT])
            yield message
