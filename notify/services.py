"""Every write of notify: messages and deliveries created with their cause, handed over to
the channels' backends, retried, failed over to the next channel, and updated from receipts.
Each change of a delivery's status appends one timeline event (kinds notify.delivery.*), in
the transaction that makes it.

Exactly once: deliveries are claimed (SELECT … FOR UPDATE SKIP LOCKED), NOTIFY_BATCH at a
time, the most urgent first, and leased for NOTIFY_CLAIM_SECONDS in one short transaction,
handed to the backend outside any transaction at the channel's shared pace (notify.pacing),
and their outcomes recorded together, each by a conditional update (still queued, still this
attempt). Two workers never claim one delivery; a worker killed between the hand-over and the
record leaves its batch to be claimed again when the lease ends, and the backend gives the
provider the same idempotency key (Delivery.key), so a provider that takes one drops the
repeat. A gateway's throttle, or a turn too far off, puts the delivery back without counting
an attempt."""

import inspect
import logging
from datetime import timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone

from notify import ack_links, causes, pacing, texts
from notify.backends import backend_for
from notify.backends.base import Outgoing, SendFailure
from notify.choices import ATTEMPTS_EXHAUSTED, NO_ADDRESS, PRIORITY, Channel, DeliveryStatus, MessageKind
from notify.models import Delivery, IncomingReply, Message, TimelineCursor
from notify.recipients import Recipient, address_of, recipients_for
from notify.signals import reply_arrived
from notify.sms_text import masked
from response.models import Notice
from timeline.models import Event
from timeline.services import append_event, append_events
from zezhou_heat.fast_path import FastPath

logger = logging.getLogger(__name__)
HAND_OVER_TASK = "notify.tasks.hand_over"


# --- creation, in the cause's transaction ---------------------------------------------------


def messages_created(*, event):
    """The messages and deliveries `event` causes, written in its transaction (the receiver
    of timeline.signals.event_appended), except a clock's (clock_alerts_created). A cause
    already told (its message exists) is not told again. Returns the messages created."""
    if event.kind == "notice.acknowledged":
        notice_acknowledged(event=event)
        return []
    if event.kind not in causes.READERS or event.kind in CLOCK_EVENTS:
        return []  # most events tell nobody: nothing to read
    return _told(event)


def follows(kind):
    """Whether messages_created does anything for an event of this kind."""
    return kind == "notice.acknowledged" or (kind in causes.READERS and kind not in CLOCK_EVENTS)


def _told(event):
    drafts = texts.in_county_language(lambda: causes.drafts_for(event))
    created = [message for draft in drafts if (message := _message_created(draft, event))]
    if created:
        _hand_over_after_commit()
    return created


# A clock's alerts are made after the transaction that claims it, from the timeline: a burst
# of clocks falling due is not held up by their messages (bench/deadlines.py).
CLOCK_EVENTS = {"deadline.reminder", "deadline.overdue"}
CLOCK_CURSOR = "clock-alerts"


@transaction.atomic
def clock_alerts_created(limit=500):
    """The alerts of the clock events committed since the last call (the beat's sweep calls
    it every NOTIFY_SWEEP_SECONDS). The timeline is the queue: sequence numbers are in commit
    order, so reading past the cursor skips nothing; the cursor's row, locked, keeps two
    workers from reading the same events, and each message's cause keeps it once anyway.
    An event whose alert cannot be made is logged and passed over, never blocking the rest."""
    cursor, _created = TimelineCursor.objects.select_for_update().get_or_create(
        name=CLOCK_CURSOR)
    events = list(Event.objects.filter(seq__gt=cursor.seq, kind__in=CLOCK_EVENTS).order_by(
        "seq")[:limit])
    created = []
    for event in events:
        try:
            with transaction.atomic():
                created += _told(event)
        except (OperationalError, InterfaceError):
            raise
        except Exception:
            logger.exception("The alert of clock event %s could not be made", event.seq)
    if events:
        cursor.seq = events[-1].seq
        cursor.save(update_fields=["seq"])
    return created


def message_created(draft, event):
    """One message for a cause that is no event's reading (an escalation step), written in
    the caller's transaction and handed over after commit; None if the cause was told."""
    message = _message_created(draft, event)
    if message:
        _hand_over_after_commit()
    return message


def _message_created(draft, event):
    if Message.objects.filter(cause=draft.cause).exists():
        return None
    message = Message.objects.create(
        cause=draft.cause, kind=draft.kind, text=draft.text, event=event,
        subject=draft.subject or texts.in_county_language(
            lambda: texts.subject(draft.kind, draft.links.get("incident"))),
        **draft.links)
    now = timezone.now()
    rows = [_first_delivery(message, recipient, now)
            for recipient in recipients_for(draft.kind, draft.concerned)]
    Delivery.objects.bulk_create(rows)  # new keys: the message is new
    append_events([
        _delivery_entry(kind="notify.delivery.failed", delivery=delivery, code=NO_ADDRESS)
        for delivery in rows if delivery.status == DeliveryStatus.FAILED])
    return message


def _first_delivery(message, recipient, now):
    """The delivery on the recipient's first channel with an address; the others are kept to
    fall back to. No address on any channel: a failed delivery says so (on the board)."""
    if not recipient.channels:
        channel = recipient.wanted[0] if recipient.wanted else "sms"
        return Delivery(message=message, key=delivery_key(message, recipient.ref, channel),
                        person=recipient.person, recipient=_name(recipient),
                        unit=recipient.unit, channel=channel, status=DeliveryStatus.FAILED,
                        failed_at=now, error_code=NO_ADDRESS, priority=PRIORITY[message.kind])
    (channel, address), rest = recipient.channels[0], recipient.channels[1:]
    return Delivery(message=message, key=delivery_key(message, recipient.ref, channel),
                    person=recipient.person, recipient=_name(recipient), unit=recipient.unit,
                    channel=channel, address=address, next_attempt_at=now,
                    next_channels=[c for c, _address in rest], priority=PRIORITY[message.kind])


def _name(recipient):
    return recipient.person.name if recipient.person else ""


def delivery_key(message, recipient_ref, channel):
    """The idempotency key: the cause, the recipient, the channel ("notice:12/p40/sms")."""
    return f"{message.cause}/{recipient_ref}/{channel}"


fast_path = FastPath("message hand-over")


def _hand_over_after_commit(countdown=0):
    """After commit, ask a worker to hand over what is queued now (or `countdown` seconds
    from now). Only a fast path (zezhou_heat.fast_path): the beat sweep (notify.tasks.sweep)
    hands over whatever this misses, so a dead broker delays."""
    fast_path.send_after_commit(HAND_OVER_TASK, countdown=countdown, expires=60 + countdown)


# --- handing over ---------------------------------------------------------------------------


def hand_over_due(now=None):
    """Hand every delivery that is queued and due to its backend, each exactly once whatever
    the number of workers doing the same, the most urgent first (Delivery.priority), each
    channel at the pace its account allows (notify.pacing). Deliveries are claimed, and
    their outcomes recorded, NOTIFY_BATCH at a time: small batches keep every worker on the
    urgent messages until they are all out. Returns how many were handed over (taken or
    not)."""
    handed = 0
    while claimed := _claim(now or timezone.now()):  # a fallback made meanwhile is due too
        attempts = dict(claimed)
        try:
            outcomes_recorded([_sent(delivery) for delivery in _loaded(list(attempts))],
                              attempts)
        except Exception:  # one batch never stops the others; its lease brings it back
            logger.exception("Deliveries %s could not be handed over", list(attempts))
        handed += len(claimed)
    return handed


def _claim(now):
    """A batch of due deliveries, leased: their next attempt moved past the lease and their
    attempt counted, in one short transaction. Rows another worker holds are skipped."""
    lease = now + timedelta(seconds=settings.NOTIFY_CLAIM_SECONDS)
    with transaction.atomic():
        rows = list(Delivery.objects.select_for_update(skip_locked=True)
                    .filter(status=DeliveryStatus.QUEUED, next_attempt_at__lte=now)
                    .order_by("priority", "next_attempt_at", "pk")
                    .values_list("pk", "attempts")[:settings.NOTIFY_BATCH])
        Delivery.objects.filter(pk__in=[pk for pk, _n in rows]).update(
            next_attempt_at=lease, attempts=F("attempts") + 1)
    return [(pk, attempts + 1) for pk, attempts in rows]


def _loaded(pks):
    """The claimed deliveries, in claim order, with what their texts need, in one query."""
    rows = Delivery.objects.select_related("message__notice", "person").in_bulk(pks)
    return [rows[pk] for pk in pks if pk in rows]


def _sent(delivery):
    """(delivery, Handed or SendFailure, when it answered): the backend's answer, after
    waiting the channel's turn. Any error is a temporary failure: retried, never lost."""
    backend = backend_for(delivery.channel)
    try:
        outgoing = Outgoing(key=delivery.key, channel=delivery.channel, address=delivery.address,
                            text=outgoing_text(delivery), subject=delivery.message.subject)
        pacing.wait_turn(delivery.channel, backend.max_per_second)
        handed = backend.send(outgoing)
    except pacing.TurnFarOff as far_off:
        return delivery, far_off, timezone.now()
    except SendFailure as failure:
        logger.info("Delivery %s to %s by %s not taken: %s (temporary: %s, throttled: %s)",
                    delivery.pk, masked(delivery.address), delivery.channel, failure.code,
                    failure.temporary, failure.throttled)
        if failure.throttled:
            pacing.held(delivery.channel, _throttle_hold(backend))
        return delivery, failure, timezone.now()
    except Exception as error:  # a backend's bug or an unforeseen error
        logger.exception("Delivery %s to %s by %s: the backend failed", delivery.pk,
                         masked(delivery.address), delivery.channel)
        return delivery, SendFailure(type(error).__name__[:64], temporary=True), timezone.now()
    logger.info("Delivery %s to %s by %s handed over as %s", delivery.pk,
                masked(delivery.address), delivery.channel, handed.provider_ref)
    return delivery, handed, timezone.now()


THROTTLE_HOLD_TURNS = 2


def _throttle_hold(backend):
    """How long every sender of the channel holds off after a throttle: two turns of its pace
    (at a pace near the gateway's limit a throttle comes at the edge of its window, which has
    a call free again a turn later), at most NOTIFY_THROTTLE_WAIT_SECONDS; that long for a
    channel with no pace."""
    wait = settings.NOTIFY_THROTTLE_WAIT_SECONDS
    return min(wait, THROTTLE_HOLD_TURNS / backend.max_per_second) if backend.max_per_second else wait


def outgoing_text(delivery):
    """The text sent on this delivery: the message's, and for an activation notice that
    reaches its person alone, the person's one-tap link (and on SMS the code to reply with)."""
    message = delivery.message
    link = _ack_link(delivery)
    if not link:
        return message.text
    code = ack_links.code_of(link).upper() if _invites_reply(delivery) else ""
    invitation = texts.in_county_language(lambda: texts.ack_invitation(link, code))
    space = " " if message.text[-1:].isascii() else ""  # none after "。"
    return f"{message.text}{space}{invitation}"


def _ack_link(delivery):
    """The person's link to acknowledge the delivery's notice, or "" (another kind of
    message, a unit's duty phone, a WeCom group robot seen by the whole group, a person
    who could not acknowledge)."""
    message = delivery.message
    if message.kind != MessageKind.ACTIVATION or not message.notice_id:
        return ""
    if delivery.person_id is None or not delivery.address:  # "" is the WeCom group robot
        return ""
    return ack_links.link_for(message.notice, delivery.person)


def _invites_reply(delivery):
    return delivery.channel == Channel.SMS and settings.NOTIFY_SMS_REPLIES


@transaction.atomic
def outcomes_recorded(outcomes, attempts):
    """What the backends answered, [(delivery, Handed, SendFailure or TurnFarOff, when)],
    recorded in one transaction, for each delivery still queued on the attempt of `attempts`
    (its pk's); another's outcome (a later attempt, another worker after the lease) is not
    recorded. Returns the deliveries recorded."""
    locked = (Delivery.objects.select_for_update(of=("self",))
              .select_related("message__incident", "person", "unit")
              .in_bulk([delivery.pk for delivery, _outcome, _at in outcomes]))
    entries, recorded, put_back = [], [], False
    for delivery, outcome, at in outcomes:
        row = locked.get(delivery.pk)
        if row is None or row.status != DeliveryStatus.QUEUED or (
                row.attempts != attempts[delivery.pk]):
            continue
        if isinstance(outcome, pacing.TurnFarOff):
            _put_back(row, at + timedelta(seconds=outcome.seconds))
        elif isinstance(outcome, SendFailure):
            entries += _not_taken(row, outcome, at)
        else:
            entries += _taken(row, outcome, at)
        put_back = put_back or row.attempts < attempts[delivery.pk]  # waits a turn, no attempt
        recorded.append(row)
    append_events(entries)
    if put_back:  # its turn comes before the sweep's: a task for then
        _hand_over_after_commit(countdown=1)
    return recorded


def _put_back(delivery, until):
    """Not tried: queued again for `until`, the attempt not counted and nothing to tell."""
    delivery.attempts -= 1
    delivery.next_attempt_at = until
    delivery.save(update_fields=["attempts", "next_attempt_at"])


def _taken(delivery, handed, at):
    """The provider took it: sent, with its reference (which receipts name)."""
    delivery.status, delivery.handed_at = DeliveryStatus.SENT, at
    delivery.provider_ref, delivery.segments = handed.provider_ref, handed.segments
    delivery.next_attempt_at = None
    delivery.save()
    return [_delivery_entry(kind="notify.delivery.sent", delivery=delivery,
                            segments=handed.segments)]


def retry_delay(attempt):
    """Seconds before the next attempt after `attempt` failed: 10, 20, 40 … up to the cap."""
    return min(settings.NOTIFY_RETRY_SECONDS * 2 ** (attempt - 1),
               settings.NOTIFY_RETRY_MAX_SECONDS)


def _not_taken(delivery, failure, now):
    """A throttle, while the delivery is young enough, is no attempt: it waits its turn. A
    temporary refusal is tried again later, up to NOTIFY_MAX_ATTEMPTS attempts; a permanent
    one, or the last attempt, fails the delivery and falls back to the next channel."""
    delivery.error_code = failure.code
    if failure.throttled and now - delivery.created_at < timedelta(
            seconds=settings.NOTIFY_THROTTLE_PATIENCE_SECONDS):
        delivery.save(update_fields=["error_code"])  # the board shows it meanwhile
        hold = _throttle_hold(backend_for(delivery.channel))  # then due before the less urgent
        _put_back(delivery, now + timedelta(seconds=hold))
        return []  # waiting for a turn is not a change of status
    attempt = delivery.attempts
    if failure.temporary and attempt < settings.NOTIFY_MAX_ATTEMPTS:
        delivery.next_attempt_at = now + timedelta(seconds=retry_delay(attempt))
        delivery.save()
        retry_at = timezone.localtime(delivery.next_attempt_at).isoformat()
        return [_delivery_entry(kind="notify.delivery.retrying", delivery=delivery,
                                code=failure.code, attempts=attempt, next_attempt_at=retry_at)]
    if failure.temporary:
        delivery.error_code = ATTEMPTS_EXHAUSTED
    return _failed(delivery, now)


def _failed(delivery, moment):
    delivery.status, delivery.failed_at, delivery.next_attempt_at = (
        DeliveryStatus.FAILED, moment, None)
    delivery.save()
    failed = _delivery_entry(kind="notify.delivery.failed", delivery=delivery,
                             code=delivery.error_code, attempts=delivery.attempts)
    return [failed, *_fall_back(delivery)]


def _fall_back(failed):
    """The entry of a new delivery of the same message to the same recipient on the next
    channel that has an address for them; none when no channel is left."""
    recipient = Recipient(ref=failed.key.split("/")[-2], person=failed.person, unit=failed.unit)
    channels = list(failed.next_channels)
    while channels:
        channel = channels.pop(0)
        address = address_of(recipient, channel)
        if not address:
            continue
        key = delivery_key(failed.message, recipient.ref, channel)
        fallback, created = Delivery.objects.get_or_create(key=key, defaults={
            "message": failed.message, "person": failed.person, "unit": failed.unit,
            "recipient": failed.recipient,
            "channel": channel, "address": address, "next_attempt_at": timezone.now(),
            "next_channels": channels, "fallback_of": failed, "priority": failed.priority})
        if not created:
            return []
        _hand_over_after_commit()
        return [_delivery_entry(kind="notify.delivery.fallback", delivery=fallback,
                                from_channel=failed.channel)]
    return []


def notice_acknowledged(*, event):
    """A unit acknowledged its activation notice (event notice.acknowledged, in its
    transaction): every delivery of the notice's message is marked acknowledged, whatever its
    status (an acknowledgement can come before, or without, a delivery receipt)."""
    at = Notice.objects.filter(pk=event.subject_id).values_list("acknowledged_at", flat=True)
    Delivery.objects.filter(message__notice_id=event.subject_id, acknowledged_at__isnull=True
                            ).update(acknowledged_at=at.first() or event.occurred_at)


# --- receipts and replies -------------------------------------------------------------------


def receipts_recorded(*, channel, receipts):
    """Delivery reports from a channel's provider (polled or pushed): delivered, or failed
    (and on to the next channel). A report that changes nothing (it came twice, or after a
    final status) is ignored, as is one whose reference no delivery has. Returns how many
    deliveries changed."""
    changed = 0
    for receipt in receipts:
        with transaction.atomic():
            delivery = (Delivery.objects.select_for_update(of=("self",))
                        .select_related("message", "person", "unit")
                        .filter(channel=channel, provider_ref=receipt.provider_ref).first())
            if delivery is None:
                logger.warning("A %s receipt for an unknown reference %s: ignored", channel,
                               receipt.provider_ref)
                continue
            changed += _receipt_applied(delivery, receipt)
    return changed


def _receipt_applied(delivery, receipt):
    if delivery.status != DeliveryStatus.SENT:
        return 0  # already delivered or failed: a repeated or late report changes nothing
    if receipt.delivered:
        delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, receipt.at
        delivery.save()
        append_events([_delivery_entry(kind="notify.delivery.delivered", delivery=delivery)])
        return 1
    delivery.error_code = receipt.code or "undelivered"
    append_events(_failed(delivery, receipt.at))
    return 1


@transaction.atomic
def reply_received(*, channel, reply):
    """A recipient's reply, kept and on the timeline (the number masked); then
    notify.signals.reply_arrived, in this transaction, for whoever acts on replies (the
    acknowledgement of a notice by its code)."""
    record = IncomingReply.objects.create(channel=channel, address=reply.address,
                                          text=reply.text, received_at=reply.at)
    append_event(actor=None, kind="notify.reply.received", subject=record,
                 new={"channel": channel, "address": masked(reply.address),
                      "text": reply.text[:200]})
    reply_arrived.send(sender=IncomingReply, reply=record)
    return record


def receipts_polled():
    """Ask every channel's backend for the receipts and replies that arrived, and record
    them (the beat task notify.tasks.poll). A backend that polls per message (its
    receipts() takes `outstanding`) is told which deliveries still wait for a receipt, so
    a restarted worker polls what its predecessor handed over."""
    for channel in settings.NOTIFY_BACKENDS:
        try:  # a provider that fails to answer never keeps the others' receipts waiting
            backend = backend_for(channel)
            receipts_recorded(channel=channel, receipts=_receipts_of(backend, channel))
            for reply in backend.replies():
                reply_received(channel=channel, reply=reply)
        except Exception:
            logger.exception("Receipts and replies of %s could not be polled", channel)


RECEIPT_WAIT = timedelta(hours=72)  # carriers give up on a message within 72 hours


def _receipts_of(backend, channel):
    if "outstanding" not in inspect.signature(backend.receipts).parameters:
        return backend.receipts()
    return backend.receipts(outstanding=outstanding(channel))


def outstanding(channel, now=None):
    """(provider_ref, address, handed_at) of the deliveries on `channel` still waiting for a
    receipt, handed over in the last 72 hours, oldest first, at most NOTIFY_POLL_OUTSTANDING."""
    since = (now or timezone.now()) - RECEIPT_WAIT
    return list(Delivery.objects.filter(channel=channel, status=DeliveryStatus.SENT,
                                        handed_at__gte=since).exclude(provider_ref="")
                .order_by("handed_at", "pk")
                .values_list("provider_ref", "address", "handed_at")
                [:settings.NOTIFY_POLL_OUTSTANDING])


# --- the timeline ---------------------------------------------------------------------------


def _delivery_entry(*, kind, delivery, **extra):
    """The event of a change of `delivery`, for append_events (never a whole phone number in
    it)."""
    message = delivery.message
    new = {"message": message.pk, "kind": message.kind, "channel": delivery.channel,
           "recipient": delivery.recipient or delivery.unit.short_name,
           "address": masked(delivery.address), **extra}
    if delivery.unit_id:
        new["unit"] = delivery.unit.short_name
    return {"kind": kind, "subject": delivery, "incident": message.incident, "new": new}
