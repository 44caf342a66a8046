"""Every write about incidents: intake, reports, upward reporting, inquiries, lifecycle.
Each checks authority, runs in one transaction, appends timeline events, and only after
commit schedules the clocks' fast path (incidents.clocks)."""

import logging
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from directory.validators import validate_phone
from incidents import clocks, written_report
from incidents.authority import check_may_report
from incidents.choices import RECIPIENT_LEVEL, DeadlineKind, IncidentStatus, ReportKind
from incidents.grading import grade_incident
from incidents.models import Figures, Incident, Inquiry, Report, UpwardReport
from incidents.signals import final_report_filing
from timeline.services import append_event
from zezhou_heat.dates import check_moments
from zezhou_heat.errors import StateConflict
from zezhou_heat.fsm import check_transition
from zezhou_heat.permissions import HANDLE_INQUIRIES

logger = logging.getLogger(__name__)


# --- intake -------------------------------------------------------------------------------


@transaction.atomic
def incident_reported(*, actor, **fields):
    """The first report (首报): the incident, its grade and the written-report clock."""
    incident = Incident(created_by=actor, **fields)
    check_may_report(actor, township_id=incident.township_id,
                     reporter_unit_id=incident.reporter_unit_id)
    _check_times(incident)
    # Figures are validated before grading; status is a protected FSM field.
    incident.full_clean(exclude=["status", "grade", "grade_criterion"])
    _grade(incident)
    incident.save()
    first = Report.objects.create(
        incident=incident, kind=ReportKind.FIRST, submitted_at=incident.reported_at,
        author=actor, summary=incident.description, **incident.figures())
    deadline = clocks.start_clock(incident, DeadlineKind.WRITTEN_REPORT, incident.reported_at)
    append_event(actor=actor, kind="incident.reported", subject=incident, incident=incident,
                 new={"grade": incident.grade, "criterion": incident.grade_criterion,
                      "report": first.pk, **_json_figures(incident)})
    clocks.schedule_fast_path(deadline)
    return incident


def _check_times(incident):
    """The date rule (zezhou_heat.dates) for each time, then their order."""
    check_moments(
        happened={"occurred_at": incident.occurred_at, "reported_at": incident.reported_at,
                  "heating_stopped_at": incident.heating_stopped_at},
        planned={"expected_restore_at": incident.expected_restore_at})
    if incident.occurred_at and incident.reported_at and (
            incident.occurred_at > incident.reported_at):
        raise ValidationError({"occurred_at": _("It cannot have happened after it was "
                                                "reported.")})


def _grade(incident):
    grading = grade_incident(deaths=incident.deaths, serious_injuries=incident.serious_injuries,
                             direct_loss=incident.direct_loss)
    incident.grade, incident.grade_criterion = grading.grade, grading.criterion


def _json_figures(holder):
    """Figures as JSON values, decimals at their field's precision (so 150000 == 150000.0)."""
    values = {}
    for name, value in holder.figures().items():
        places = getattr(Incident._meta.get_field(name), "decimal_places", None)
        values[name] = value if places is None else f"{Decimal(value):.{places}f}"
    return values


# --- reports --------------------------------------------------------------------------------


@transaction.atomic
def written_report_saved(*, actor, incident, contents, figures):
    """A written report (书面报告). Complete, it is the report and stops the clock (on time
    or late); incomplete, it is kept as a draft, lists what is missing, and the clock runs on.
    The final report does not excuse it: it is accepted after the final report too."""
    incident = _locked_for_report(actor, incident, after_final=True)
    if incident.reports.filter(kind=ReportKind.WRITTEN, is_complete=True).exists():
        raise ValidationError({"kind": _("The written report has been submitted; send a "
                                         "continuation report for corrections.")})
    contents = {key: str(contents.get(key, "")).strip() for key in written_report.KEYS}
    _validate_contents(contents)
    complete = not written_report.missing_elements(contents)
    now = timezone.now()
    deadline = incident.deadlines.get(kind=DeadlineKind.WRITTEN_REPORT)
    report = _report(incident, actor, ReportKind.WRITTEN, figures, contents=contents,
                     is_complete=complete, on_time=(now <= deadline.due_at) if complete else None)
    if complete:
        clocks.meet(deadline, now)
    append_event(actor=actor, kind="report.written" if complete else "report.written_draft",
                 subject=report, incident=incident,
                 new={"complete": complete, "on_time": report.on_time,
                      "missing": [e.key for e in written_report.missing_elements(contents)]})
    _apply_figures(actor, incident, figures)
    return report


def _validate_contents(contents):
    errors = {}
    for element in written_report.ELEMENTS:
        if element.phone and contents[element.key]:
            try:
                validate_phone(contents[element.key])
            except ValidationError as error:
                errors[element.key] = error.messages
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def continuation_report_filed(*, actor, incident, summary, measures, figures):
    """续报一, 续报二 …: numbered in order, as the situation develops."""
    incident = _locked_for_report(actor, incident)
    number = incident.reports.filter(kind=ReportKind.CONTINUATION).count() + 1
    report = _report(incident, actor, ReportKind.CONTINUATION, figures, number=number,
                     summary=summary, measures=measures)
    append_event(actor=actor, kind="report.continuation", subject=report, incident=incident,
                 new={"number": number, "summary": summary})
    _apply_figures(actor, incident, figures)
    return report


@transaction.atomic
def final_report_filed(*, actor, incident, summary, measures, figures):
    """终报: handling is over (§4.1). It follows the end of the response, so it is refused
    while one is running or proposed. It moves the incident to "final report filed": no
    continuation report and no response after it. It stops no clock: a written report
    still owed is still owed (and still accepted), an inquiry still wants its reply."""
    incident = _locked_for_report(actor, incident)
    if incident.status == IncidentStatus.RESPONDING:
        raise StateConflict(_(
            "The response is still running: the final report follows its end (plan §4.1, "
            "§4.10). File a continuation report meanwhile."))
    final_report_filing.send(sender=Incident, incident=incident)
    report = _report(incident, actor, ReportKind.FINAL, figures, summary=summary,
                     measures=measures)
    incident.reporting_closed = True
    incident.save(update_fields=["reporting_closed"])
    append_event(actor=actor, kind="report.final", subject=report, incident=incident,
                 new={"summary": summary})
    _move(actor, incident, incident.file_final_report)
    _apply_figures(actor, incident, figures)
    return report


def _locked_for_report(actor, incident, *, after_final=False):
    """The incident, locked, once the actor may report on it; after the final report only
    the written report still owed is accepted (`after_final`)."""
    check_may_report(actor, township_id=incident.township_id,
                     reporter_unit_id=incident.reporter_unit_id)
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.reporting_closed and not after_final:
        raise ValidationError({"kind": _("The final report has been filed: no more reports "
                                         "on this incident.")})
    return incident


def _report(incident, actor, kind, figures, **fields):
    report = Report(incident=incident, kind=kind, author=actor, **fields, **_figures(figures))
    report.full_clean()
    report.save()
    return report


def _figures(figures):
    return {name: figures[name] for name in Figures.FIELDS}


def _apply_figures(actor, incident, figures):
    """New figures from a report: the incident takes them and is graded again; each change
    of figures and of grade goes on the timeline."""
    old_figures, old_grade = _json_figures(incident), (incident.grade, incident.grade_criterion)
    for name, value in _figures(figures).items():
        setattr(incident, name, value)
    _grade(incident)
    new_figures = _json_figures(incident)
    if new_figures == old_figures:
        return
    incident.full_clean(exclude=["status"])  # protected FSM field: not set by cleaning
    incident.save(update_fields=[*Figures.FIELDS, "grade", "grade_criterion"])
    changed = [name for name in new_figures if new_figures[name] != old_figures[name]]
    append_event(actor=actor, kind="incident.figures_changed", subject=incident,
                 incident=incident, old={n: old_figures[n] for n in changed},
                 new={n: new_figures[n] for n in changed})
    if (incident.grade, incident.grade_criterion) != old_grade:
        append_event(actor=actor, kind="incident.grade_changed", subject=incident,
                     incident=incident,
                     old={"grade": old_grade[0], "criterion": old_grade[1]},
                     new={"grade": incident.grade, "criterion": incident.grade_criterion})


# --- upward reporting and inquiries ---------------------------------------------------------


def _check_may_handle_inquiries(actor):
    if not actor.has_perm(HANDLE_INQUIRIES):
        raise PermissionDenied(_("Only the headquarters office records upward reports and "
                                 "upper-level inquiries."))


@transaction.atomic
def upward_report_recorded(*, actor, incident, recipient, channel, sent_at,
                           recipient_detail="", report=None):
    """A report passed up. It skips a level (越级上报) when nothing had gone to the level
    below the recipient's first (the county before the city, the city before the province)."""
    _check_may_handle_inquiries(actor)
    check_moments(happened={"sent_at": sent_at})
    if report is not None and report.incident_id != incident.pk:
        raise ValidationError({"report": _("The report passed up must be one of this "
                                           "incident's reports.")})
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    level = RECIPIENT_LEVEL[recipient]
    below = [r for r, lvl in RECIPIENT_LEVEL.items() if lvl == level - 1]
    skipped = level > 1 and not incident.upward_reports.filter(
        recipient__in=below, sent_at__lte=sent_at).exists()
    upward = UpwardReport(incident=incident, report=report, recipient=recipient,
                          recipient_detail=recipient_detail, channel=channel, sent_at=sent_at,
                          skipped_level=skipped, recorded_by=actor)
    upward.full_clean()
    upward.save()
    append_event(actor=actor, kind="report.passed_up", subject=upward, incident=incident,
                 new={"recipient": recipient, "channel": channel, "skipped_level": skipped})
    return upward


@transaction.atomic
def inquiry_recorded(*, actor, incident, asked_by, asked_at, question):
    """An upper level asks (催报/核实): its own 30-minute reply clock starts when it asked."""
    _check_may_handle_inquiries(actor)
    check_moments(happened={"asked_at": asked_at})
    inquiry = Inquiry(incident=incident, asked_by=asked_by, asked_at=asked_at,
                      question=question, recorded_by=actor)
    inquiry.full_clean()
    inquiry.save()
    deadline = clocks.start_clock(incident, DeadlineKind.INQUIRY_REPLY, asked_at, inquiry=inquiry)
    append_event(actor=actor, kind="inquiry.recorded", subject=inquiry, incident=incident,
                 new={"asked_by": asked_by, "question": question,
                      "due_at": clocks.local_time(deadline.due_at)})
    clocks.schedule_fast_path(deadline)
    return inquiry


@transaction.atomic
def inquiry_replied(*, actor, inquiry, reply):
    _check_may_handle_inquiries(actor)
    inquiry = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
    if inquiry.replied_at:
        raise ValidationError({"reply": _("This inquiry was already answered at %(time)s.") % {
            "time": timezone.localtime(inquiry.replied_at).strftime("%Y-%m-%d %H:%M")}})
    if not reply.strip():
        raise ValidationError({"reply": _("Write the reply.")})
    now = timezone.now()
    inquiry.reply, inquiry.replied_at, inquiry.replied_by = reply.strip(), now, actor
    inquiry.save(update_fields=["reply", "replied_at", "replied_by"])
    deadline = inquiry.deadline
    clocks.meet(deadline, now)
    append_event(actor=actor, kind="inquiry.replied", subject=inquiry, incident=inquiry.incident,
                 new={"reply": inquiry.reply, "on_time": now <= deadline.due_at})
    return inquiry


# --- lifecycle --------------------------------------------------------------------------------


@transaction.atomic
def incident_status_changed(*, actor, incident, transition):
    """Run one lifecycle transition (begin_response, bring_under_control, close)."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    method = getattr(incident, transition)
    try:
        check_transition(method, actor, state_label=incident.get_status_display())
    except StateConflict:
        if transition == "close" and not incident.reporting_closed:
            raise StateConflict(_("An incident closes once its final report is filed.")) from None
        raise
    _move(actor, incident, method)
    return incident


@transaction.atomic
def incident_status_followed(*, actor, incident, transition):
    """A lifecycle step another feature drives (a response started, ended): its service has
    checked the actor's authority for that. The incident is locked and read afresh, and only
    its status column is written, so figures and grade a report committed meanwhile are kept.
    A step the incident's status does not allow (already responding, closed) is skipped."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    method = getattr(incident, transition)
    if can_proceed(method):
        _move(actor, incident, method)
    return incident


def _move(actor, incident, method):
    old = incident.status
    method()
    incident.save(update_fields=["status"])
    append_event(actor=actor, kind="incident.status_changed", subject=incident,
                 incident=incident, old={"status": old}, new={"status": incident.status})
