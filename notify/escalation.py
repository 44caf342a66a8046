"""Escalation (issue 14): an activation notice left unacknowledged goes up a ladder, each step
on the deadline machinery (incidents.clocks).

The notice's clock (NOTICE_ACK) falling overdue sends step 1 to the unit's leader in charge
and starts the clock of step 2 (DeadlineKind.ESCALATION, NOTIFY_ESCALATION_MINUTES); that
clock falling overdue takes step 2, to the office director. A unit without a leader in charge
skips step 1 (recorded, with why) and goes straight to step 2. Each step is written in the
transaction that marks the previous clock overdue (the receiver of event_appended), so the
clock's claim makes it happen once however many clock workers run, and a worker killed
mid-way leaves nothing: its claim rolls back with the step. Acknowledging the notice meets
the pending clock; ending or handing over the response cancels it.

Step 2 is written pending (no message yet): when 21 units are silent on one Level Ⅰ, the
director gets one message naming them, not 21. The beat's sweep makes the digests
(escalation_digests_sent): it locks the pending steps, skipping those another runner holds,
and once a response's burst has gathered, sends one message for it and links its steps to it,
all in one transaction, so a runner killed mid-way leaves them pending for the next. A step
whose notice was acknowledged, or whose response ended or was handed over, meanwhile is
settled without a message (its `skipped` says why), and no unit is reported silent after
acknowledging: the notice's row is locked with the step, as the acknowledgement locks it."""

import logging
from datetime import timedelta

from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from incidents import clocks
from incidents.choices import DeadlineKind
from incidents.models import Deadline
from notify import services, texts
from notify.causes import Draft
from notify.choices import (
    ACKNOWLEDGED_MEANWHILE,
    NO_LEADER_IN_CHARGE,
    RESPONSE_OVER,
    EscalationStep,
    MessageKind,
)
from notify.models import Delivery, Escalation, Message
from notify.recipients import Concerned
from response.models import Notice
from timeline.services import append_event

logger = logging.getLogger(__name__)
STEP = EscalationStep
SETTLING_KINDS = ("response.ended", "response.handed_over")


def follows(kind):
    """Whether escalation_followed does anything for an event of this kind."""
    return kind in ("deadline.overdue", "notice.acknowledged", *SETTLING_KINDS)


def escalation_followed(*, event):
    """What `event` does to the ladders (in its transaction): a clock overdue takes a notice
    a step up; an acknowledgement, an end or a hand-over stops the ladder."""
    if event.kind == "deadline.overdue":
        _step_due(event)
    elif event.kind == "notice.acknowledged":
        _pending_clocks().filter(escalation__notice_id=event.subject_id).update(
            met_at=event.occurred_at)
    elif event.kind in SETTLING_KINDS:
        clocks.settle(_pending_clocks().filter(escalation__notice__response_id=event.subject_id),
                      event.occurred_at)


def _pending_clocks():
    """Escalation clocks neither met nor cancelled (conditional: a settled one stays so)."""
    return Deadline.objects.filter(kind=DeadlineKind.ESCALATION).unsettled()


def _step_due(event):
    """The step that follows the clock the event marked overdue, if it is a notice's."""
    deadline = Deadline.objects.get(pk=event.subject_id)
    notices = Notice.objects.select_related(
        "unit__leader_in_charge", "deadline", "response__incident__township")
    if deadline.kind == DeadlineKind.NOTICE_ACK:
        notice, step = notices.filter(deadline=deadline).first(), STEP.LEADER_IN_CHARGE
    elif deadline.kind == DeadlineKind.ESCALATION:
        before = Escalation.objects.filter(clock=deadline).first()
        if before is None:
            return
        notice, step = notices.get(pk=before.notice_id), before.step + 1
    else:
        return
    if notice is None or step not in STEP.values or notice.acknowledged_at or (
            notice.deadline.cancelled_at):
        return
    _step_taken(event, notice, step, deadline)


def _step_taken(event, notice, step, overdue):
    """Step `step` of the notice's ladder, after the clock `overdue` fell overdue."""
    if Escalation.objects.filter(notice=notice, step=step).exists():
        return  # the unique (notice, step) also says so, should two ever race
    if step == STEP.OFFICE_DIRECTOR:
        Escalation.objects.create(notice=notice, step=step)  # pending: its digest tells
        return
    minutes = _minutes(notice, overdue)
    if notice.unit.leader_in_charge_id is None:
        _recorded(notice, step, minutes, skipped=NO_LEADER_IN_CHARGE)
        _step_taken(event, notice, STEP.OFFICE_DIRECTOR, overdue)
        return
    told = Delivery.objects.filter(message__notice=notice,
                                   message__kind=MessageKind.ACTIVATION).exists()
    text = texts.in_county_language(
        lambda: texts.escalation(notice, minutes, contacts_told=told))
    message = services.message_created(
        Draft(cause=f"escalation:{notice.pk}:{step}", kind=MessageKind.ESCALATION, text=text,
              concerned=Concerned(units=(notice.unit,)),
              links={"incident": notice.response.incident, "response": notice.response,
                     "notice": notice}),
        event)
    # From when the step is taken, or when it was due if the clock is marked early (a sweep
    # run ahead of time): the next person always has the full interval.
    clock = clocks.start_clock(notice.response.incident, DeadlineKind.ESCALATION,
                               max(timezone.now(), overdue.due_at), unit=notice.unit,
                               remind=False)
    clocks.schedule_fast_path(clock)
    _recorded(notice, step, minutes, message=message, clock=clock)


def _minutes(notice, overdue):
    """How long the notice had gone unacknowledged when the clock `overdue` fell due."""
    return round((overdue.due_at - notice.sent_at).total_seconds() / 60)


def _recorded(notice, step, minutes, *, message=None, clock=None, skipped=""):
    recipients = _names(message) if message else []
    Escalation.objects.create(notice=notice, step=step, message=message, clock=clock,
                              recipients=recipients, skipped=skipped)
    _escalated_event(notice, step, minutes, recipients, skipped=skipped)


def _escalated_event(notice, step, minutes, recipients, *, skipped="", previous=None):
    new = {"unit": notice.unit.short_name, "step": int(step), "minutes": minutes,
           "recipients": recipients}
    if skipped:
        new["skipped"] = skipped
    if previous:
        new["previous"] = previous
    append_event(actor=None, kind="notice.escalated", subject=notice,
                 incident=notice.response.incident, new=new)


def _names(message):
    names = message.deliveries.order_by("pk").values_list("recipient", flat=True)
    return list(dict.fromkeys(name for name in names if name))


# --- step 2: one message to the office director per response and burst ----------------------

DIGEST_QUIET_SECONDS = 2  # a burst has gathered when none of its steps is younger than this,
DIGEST_LONGEST_WAIT_SECONDS = 30  # or when its oldest has waited this long (a steady trickle)


def escalation_digests_sent(now=None):
    """The office director's messages for the pending steps 2 (the beat's sweep calls it):
    one per response whose burst has gathered, naming its silent units. Returns them.
    A response whose digest cannot be made is logged and left pending, never blocking the
    rest; a lost connection is raised, leaving everything pending."""
    now = now or timezone.now()
    sent = []
    with transaction.atomic():
        if not _sole_digest_runner():
            return sent  # another runner is at it: SKIP LOCKED alone would split a burst
        pending = [row for row in _pending_steps_locked() if not _settled(row)]
        for rows in _by_response(pending):
            if not _gathered(rows, now):
                continue
            try:
                with transaction.atomic():
                    sent.append(_digest_sent(rows))
            except (OperationalError, InterfaceError):
                raise
            except Exception:
                logger.exception("The escalation digest of response %s could not be made",
                                 rows[0].notice.response_id)
    return sent


DIGEST_LOCK_KEY = 0x7A7A_6467  # any constant, the same for every digest runner


def _sole_digest_runner():
    """Whether this transaction is the only digest runner (PostgreSQL's advisory lock, held
    till commit; SQLite serialises writers anyway)."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [DIGEST_LOCK_KEY])
        return cursor.fetchone()[0]


def _pending_steps_locked():
    """The steps 2 awaiting their digest that no other runner holds, with their notices and
    the notices' clocks locked too: an acknowledgement (which locks both) or a response's end
    (which cancels the clocks) waits for this transaction, or this one passes the step by."""
    return list(
        Escalation.objects.filter(step=STEP.OFFICE_DIRECTOR, message__isnull=True, skipped="")
        .select_related("notice__unit", "notice__deadline", "notice__response__incident__township")
        .select_for_update(skip_locked=True, no_key=True, of=("self", "notice", "notice__deadline"))
        .order_by("pk"))


def _settled(row):
    """Settle the step if its notice no longer waits (acknowledged, or its response ended or
    handed over): no message, no timeline event (the acknowledgement or the end is one)."""
    notice = row.notice
    if notice.acknowledged_at or notice.deadline.met_at:
        row.skipped = ACKNOWLEDGED_MEANWHILE
    elif notice.deadline.cancelled_at or notice.response.ended_at or (
            notice.response.handed_over_at):
        row.skipped = RESPONSE_OVER
    else:
        return False
    row.save(update_fields=["skipped"])
    return True


def _by_response(rows):
    groups = {}
    for row in rows:
        groups.setdefault(row.notice.response_id, []).append(row)
    return groups.values()


def _gathered(rows, now):
    times = [row.created_at for row in rows]
    return (max(times) <= now - timedelta(seconds=DIGEST_QUIET_SECONDS)
            or min(times) <= now - timedelta(seconds=DIGEST_LONGEST_WAIT_SECONDS))


def _digest_sent(rows):
    """One message to the office director for the steps of one response, the steps linked
    to it and a `notice.escalated` event per notice, naming whom the step before reached."""
    rows = sorted(rows, key=lambda row: (row.notice.unit.order, row.notice.unit.code))
    before = {row.notice_id: row for row in Escalation.objects.filter(
        notice__in=[row.notice_id for row in rows], step=STEP.LEADER_IN_CHARGE)
        .select_related("clock")}
    silent = [_silence(row.notice, before.get(row.notice_id)) for row in rows]
    response = rows[0].notice.response
    cause = f"escalation-digest:{min(row.pk for row in rows)}"
    links = {"incident": response.incident, "response": response}
    if len(rows) == 1:
        links["notice"] = rows[0].notice
    message = services.message_created(
        Draft(cause=cause, kind=MessageKind.ESCALATION, text=_digest_text(response, silent),
              concerned=Concerned(office=True), links=links),
        None) or Message.objects.get(cause=cause)
    recipients = _names(message)
    Escalation.objects.filter(pk__in=[row.pk for row in rows]).update(
        message=message, recipients=recipients)
    for notice, minutes, previous in silent:
        _escalated_event(notice, STEP.OFFICE_DIRECTOR, minutes, recipients, previous=previous)
    return message


def _silence(notice, before):
    """(notice, minutes unacknowledged when step 2 fell due, whom step 1 reached)."""
    overdue = before.clock if before and before.clock else notice.deadline
    return notice, _minutes(notice, overdue), list(before.recipients) if before else []


def _digest_text(response, silent):
    if len(silent) == 1:
        [(notice, minutes, previous)] = silent
        return texts.in_county_language(lambda: texts.escalation(notice, minutes, previous))
    units = [notice.unit.short_name for notice, _minutes, _previous in silent]
    with_leader = sum(1 for _notice, _minutes, previous in silent if previous)
    minutes = min(minutes for _notice, minutes, _previous in silent)
    return texts.in_county_language(
        lambda: texts.escalation_digest(response, units, minutes, with_leader))
