"""What a timeline event asks to be told, and to whom: the messages (drafts) that follow from
each kind of event. Reads the apps below notify; writes nothing (notify.services does)."""

from dataclasses import dataclass, field

from django.conf import settings
from django.urls import reverse

from directory.choices import UnitKind
from directory.models import Unit
from early_warnings import authority as warning_authority
from early_warnings.models import EarlyWarning
from incidents.choices import DeadlineKind
from incidents.models import Deadline
from notify import texts
from notify.choices import MessageKind
from notify.recipients import Concerned
from response import authority as response_authority
from response.models import Response


@dataclass
class Draft:
    """A message to create: its cause (unique), kind, text and what it concerns."""

    cause: str
    kind: str
    text: str
    concerned: Concerned
    links: dict = field(default_factory=dict)  # incident, notice, warning, response, deadline
    subject: str = ""


def drafts_for(event):
    """The messages `event` causes ([] for most kinds)."""
    reader = READERS.get(event.kind)
    return reader(event) if reader else []


def _response(event):
    return Response.objects.select_related("incident__township").get(pk=event.subject_id)


def _notices(response):
    return list(response.notices.select_related("unit", "deadline").order_by("unit__order"))


def _activation(notice, response):
    minutes = round((notice.deadline.due_at - notice.sent_at).total_seconds() / 60)
    return Draft(cause=f"notice:{notice.pk}", kind=MessageKind.ACTIVATION,
                 text=texts.activation(notice, minutes),
                 concerned=Concerned(units=(notice.unit,)),
                 links={"incident": response.incident, "response": response, "notice": notice})


def response_started(event):
    response = _response(event)
    return [_activation(notice, response) for notice in _notices(response)]


def response_level_changed(event):
    """The units already told hear of the change; units new to the response (a raise to
    Level Ⅰ starts all eight groups) get their activation notice."""
    response = _response(event)
    notices = _notices(response)
    old = Response(level=event.old["level"]).get_level_display()
    change = Draft(cause=f"event:{event.seq}", kind=MessageKind.LEVEL_CHANGE,
                   text=texts.level_changed(response, old, response.get_level_display()),
                   concerned=Concerned(units=tuple(n.unit for n in notices)),
                   links={"incident": response.incident, "response": response})
    return [change, *(_activation(notice, response) for notice in notices)]


def response_ended(event):
    response = _response(event)
    return [Draft(cause=f"event:{event.seq}", kind=MessageKind.RESPONSE_END,
                  text=texts.response_ended(response),
                  concerned=Concerned(units=tuple(n.unit for n in _notices(response))),
                  links={"incident": response.incident, "response": response})]


def inbox_link():
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("command_room:inbox")


def response_proposed(event):
    response = _response(event)
    return [Draft(cause=f"event:{event.seq}", kind=MessageKind.APPROVAL,
                  text=texts.response_approval(response, inbox_link()),
                  concerned=Concerned(deciders=tuple(response_authority.starters(response.level))),
                  links={"incident": response.incident, "response": response})]


def _warning(event):
    return EarlyWarning.objects.select_related("incident__township").get(pk=event.subject_id)


def warning_submitted(event):
    warning = _warning(event)
    return [Draft(cause=f"event:{event.seq}", kind=MessageKind.APPROVAL,
                  text=texts.warning_approval(warning, inbox_link()),
                  concerned=Concerned(deciders=tuple(warning_authority.approvers(warning.level))),
                  links={"incident": warning.incident, "warning": warning})]


def warning_out(event):
    """Issued, updated or lifted: every member unit and the townships of its area."""
    warning = _warning(event)
    units = (*Unit.objects.filter(kind=UnitKind.MEMBER, merged_into__isnull=True),
             *warning.townships.all())
    return [Draft(cause=f"event:{event.seq}", kind=MessageKind.WARNING,
                  text=texts.warning(warning, event.kind),
                  concerned=Concerned(units=units, level=warning.level),
                  links={"incident": warning.incident, "warning": warning})]


def clock(event):
    """A written report or an inquiry reply due soon or overdue. A unit's acknowledgement of
    its notice is not told here: the escalation of unacknowledged notices is its path
    (notify.escalation)."""
    deadline = Deadline.objects.select_related("incident__township").get(pk=event.subject_id)
    if deadline.kind in (DeadlineKind.NOTICE_ACK, DeadlineKind.ESCALATION):
        return []
    overdue = event.kind == "deadline.overdue"
    return [Draft(cause=f"event:{event.seq}",
                  kind=MessageKind.CLOCK_OVERDUE if overdue else MessageKind.CLOCK_REMINDER,
                  text=texts.clock(deadline, overdue), concerned=Concerned(),
                  links={"incident": deadline.incident, "deadline": deadline})]


READERS = {
    "response.started": response_started,
    "response.level_changed": response_level_changed,
    "response.ended": response_ended,
    "response.proposed": response_proposed,
    "warning.submitted": warning_submitted,
    "warning.issued": warning_out,
    "warning.updated": warning_out,
    "warning.lifted": warning_out,
    "deadline.reminder": clock,
    "deadline.overdue": clock,
}
