"""The outbox: a backend that keeps every message in the database (OutboxMessage) instead of
handing it to a gateway, for the quick start, the demo and the tests. It answers like a
gateway: a message is taken at once (its reference returned; the same key twice is the same
message, as a gateway that takes an idempotency key answers), and the next receipts() call
reports it delivered. The option `fail` makes chosen addresses fail, so the demo can show
retries and fallback: {"13800000001": "permanent", "13800000002": "temporary"}."""

import uuid
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from notify.backends.base import Backend, Handed, Receipt, SendFailure
from notify.models import OutboxMessage
from notify.sms_text import segments

FAILURES = {"temporary": ("outbox.unavailable", True), "permanent": ("outbox.rejected", False)}


class OutboxBackend(Backend):
    channel = None  # any: told by notify.backends.backend_for

    def __init__(self, *, fail=None, receipt_delay_seconds=1, **options):
        super().__init__(**options)
        self.fail = dict(fail or {})
        # A receipt no sooner than this after the send, as a gateway's comes: the core
        # records the send before its receipt can be polled.
        self.receipt_delay = timedelta(seconds=receipt_delay_seconds)

    def send(self, outgoing):
        failure = self.fail.get(outgoing.address)
        if failure:
            code, temporary = FAILURES[failure]
            raise SendFailure(code, "configured to fail", temporary=temporary)
        message, _created = OutboxMessage.objects.get_or_create(
            key=outgoing.key,
            defaults={"ref": f"OB{uuid.uuid4().hex[:18].upper()}", "channel": outgoing.channel,
                      "address": outgoing.address, "subject": outgoing.subject,
                      "text": outgoing.text, "segments": segments(outgoing.text)})
        return Handed(provider_ref=message.ref, segments=message.segments)

    def receipts(self):
        """Every message of this channel not yet reported, reported delivered now."""
        now = timezone.now()
        with transaction.atomic():
            due = list(OutboxMessage.objects.select_for_update(skip_locked=True).filter(
                channel=self.channel, reported_at__isnull=True,
                sent_at__lte=now - self.receipt_delay).order_by("sent_at")[:500])
            OutboxMessage.objects.filter(pk__in=[m.pk for m in due]).update(
                delivered_at=now, reported_at=now)
        return [Receipt(provider_ref=m.ref, delivered=True, at=now, code="DELIVRD") for m in due]
