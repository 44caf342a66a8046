"""Escalation (issue 14): an activation notice left unacknowledged goes up a ladder, each step
on the deadline machinery (incidents.clocks).

The notice's clock (NOTICE_ACK) falling overdue sends step 1 to the unit's leader in charge
and starts the clock of step 2 (DeadlineKind.ESCALATION, NOTIFY_ESCALATION_MINUTES); that
clock falling overdue sends step 2 to the office director. A unit without a leader in charge
skips step 1 (recorded, with why) and goes straight to step 2. Each step is written in the
transaction that marks the previous clock overdue (the receiver of event_appended), so the
clock's claim makes it happen once however many clock workers run, and a worker killed
mid-way leaves nothing: its claim rolls back with the step. Acknowledging the notice meets
the pending clock; ending or handing over the response cancels it."""

from django.utils import timezone

from incidents import clocks
from incidents.choices import DeadlineKind
from incidents.models import Deadline
from notify import services, texts
from notify.causes import Draft
from notify.choices import NO_LEADER_IN_CHARGE, EscalationStep, MessageKind
from notify.models import Escalation
from notify.recipients import Concerned
from response.models import Notice
from timeline.services import append_event

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
    minutes = round((overdue.due_at - notice.sent_at).total_seconds() / 60)
    if Escalation.objects.filter(notice=notice, step=step).exists():
        return  # the unique (notice, step) also says so, should two ever race
    if step == STEP.LEADER_IN_CHARGE and notice.unit.leader_in_charge_id is None:
        _recorded(notice, step, minutes, skipped=NO_LEADER_IN_CHARGE)
        _step_taken(event, notice, STEP.OFFICE_DIRECTOR, overdue)
        return
    previous = None if step == STEP.LEADER_IN_CHARGE else _previous_recipients(notice)
    concerned = (Concerned(units=(notice.unit,)) if step == STEP.LEADER_IN_CHARGE
                 else Concerned(office=True))
    text = texts.in_county_language(lambda: texts.escalation(notice, minutes, previous))
    message = services.message_created(
        Draft(cause=f"escalation:{notice.pk}:{step}", kind=MessageKind.ESCALATION, text=text,
              concerned=concerned, links={"incident": notice.response.incident,
                                          "response": notice.response, "notice": notice}),
        event)
    clock = None
    if step < max(STEP.values):
        # From when the step is taken, or when it was due if the clock is marked early (a
        # sweep run ahead of time): the next person always has the full interval.
        clock = clocks.start_clock(notice.response.incident, DeadlineKind.ESCALATION,
                                   max(timezone.now(), overdue.due_at), unit=notice.unit,
                                   remind=False)
        clocks.schedule_fast_path(clock)
    _recorded(notice, step, minutes, message=message, clock=clock, previous=previous)


def _previous_recipients(notice):
    """Whom the step before went to: [] when it was skipped or reached nobody."""
    before = Escalation.objects.filter(notice=notice).order_by("-step").first()
    return list(before.recipients) if before else []


def _recorded(notice, step, minutes, *, message=None, clock=None, skipped="", previous=None):
    recipients = _names(message) if message else []
    Escalation.objects.create(notice=notice, step=step, message=message, clock=clock,
                              recipients=recipients, skipped=skipped)
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
