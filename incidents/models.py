from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from directory.authority import positions_with, who
from directory.models import Unit
from directory.validators import validate_phone
from incidents.authority import may_report_on
from incidents.choices import (
    DeadlineKind,
    Grade,
    IncidentStatus,
    ReportChannel,
    ReportKind,
    Scenario,
    UpwardChannel,
    UpwardRecipient,
)
from zezhou_heat.figures import report_number
from zezhou_heat.models import AppendOnlyModel, limited_text
from zezhou_heat.permissions import MANAGE_INCIDENT_STATUS, declared_for

MANAGE_STATUS = MANAGE_INCIDENT_STATUS


class Figures(models.Model):
    """The figures that decide the grade (§1.5) and show the scale, as of some report."""

    deaths = models.PositiveIntegerField(_("deaths"), default=0)
    serious_injuries = models.PositiveIntegerField(
        _("serious injuries"), default=0,
        help_text=_("Including acute industrial poisoning"))
    direct_loss = models.DecimalField(
        _("direct economic loss (CNY)"), max_digits=14, decimal_places=2, default=0,
        validators=[MinValueValidator(0)])
    households_affected = models.PositiveIntegerField(
        _("households without heat"), default=0)
    area_affected = models.DecimalField(
        _("heated area affected (m²)"), max_digits=12, decimal_places=1, default=0,
        validators=[MinValueValidator(0)])

    FIELDS = ["deaths", "serious_injuries", "direct_loss", "households_affected", "area_affected"]

    class Meta:
        abstract = True

    def figures(self):
        return {name: getattr(self, name) for name in self.FIELDS}


class IncidentQuerySet(models.QuerySet):
    def in_progress(self):
        """What the command room follows: not closed, and after the final report only while
        a written report or an inquiry's reply is still owed."""
        owed = Deadline.objects.unsettled().filter(incident=OuterRef("pk")).exclude(
            kind__in=[DeadlineKind.NOTICE_ACK, DeadlineKind.ESCALATION])
        return self.exclude(status=IncidentStatus.CLOSED).exclude(
            Q(status=IncidentStatus.FINAL_REPORTED) & ~Exists(owed))


class Incident(ConcurrentTransitionMixin, Figures):
    occurred_at = models.DateTimeField(_("occurred at"))
    reported_at = models.DateTimeField(_("first reported at"))
    township = models.ForeignKey(
        Unit, verbose_name=_("township"), on_delete=models.PROTECT, related_name="incidents",
        limit_choices_to={"kind": "township"})
    place = models.CharField(_("place"), max_length=200)
    reporter_unit = models.ForeignKey(
        Unit, verbose_name=_("reporting unit"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="reported_incidents")
    reporter_name = models.CharField(_("reporter's name"), max_length=50)
    reporter_phone = models.CharField(
        _("reporter's phone"), max_length=32, validators=[validate_phone])
    channel = models.CharField(_("channel"), max_length=20, choices=ReportChannel.choices)
    scenario = models.CharField(_("scenario"), max_length=20, choices=Scenario.choices)
    description = limited_text(_("what happened"), 2000)
    heat_sources = models.CharField(
        _("heat sources or stations involved"), max_length=300, blank=True)
    heating_stopped_at = models.DateTimeField(_("heating stopped at"), null=True, blank=True)
    expected_restore_at = models.DateTimeField(
        _("heating expected back at"), null=True, blank=True)
    beyond_township_capacity = models.BooleanField(
        _("beyond the township's capacity"), default=False)
    is_drill = models.BooleanField(_("drill"), default=False)

    grade = models.CharField(_("grade"), max_length=20, choices=Grade.choices)
    grade_criterion = models.CharField(_("deciding criterion"), max_length=20, blank=True)
    status = FSMField(_("status"), default=IncidentStatus.REPORTED,
                      choices=IncidentStatus.choices, protected=True)
    reporting_closed = models.BooleanField(_("final report filed"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("logged by"), on_delete=models.PROTECT,
        related_name="+")
    created_at = models.DateTimeField(_("logged at"), default=timezone.now)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-reported_at"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        permissions = declared_for("incidents")
        indexes = [models.Index(fields=["status", "reported_at"])]

    def __str__(self):
        return f"#{self.pk} {self.township} {self.get_scenario_display()}"

    def who_may(self, action):
        """Who may move the incident through its lifecycle, in words (every step alike)."""
        return _("Needs %(who)s.") % {"who": who(positions_with(MANAGE_STATUS))}

    @property
    def written_report_done(self):
        return any(r.kind == ReportKind.WRITTEN and r.is_complete for r in self.reports.all())

    @transition(field=status, source=IncidentStatus.REPORTED, target=IncidentStatus.RESPONDING,
                permission=MANAGE_STATUS)
    def begin_response(self):
        """A response has started (driven by the response feature)."""

    @transition(field=status, source=IncidentStatus.RESPONDING,
                target=IncidentStatus.UNDER_CONTROL, permission=MANAGE_STATUS)
    def bring_under_control(self):
        """The situation is under control."""

    @property
    def written_report_clock(self):
        return next((d for d in self.deadlines.all() if d.kind == DeadlineKind.WRITTEN_REPORT),
                    None)

    @transition(field=status, source=[IncidentStatus.REPORTED, IncidentStatus.UNDER_CONTROL],
                target=IncidentStatus.FINAL_REPORTED, permission=may_report_on)
    def file_final_report(self):
        """终报 (§4.1 "事件处置结束后要尽快提供书面终报"): handling is over. Not while a
        response is running: it follows the response's end (§4.10)."""

    @transition(field=status, source=IncidentStatus.FINAL_REPORTED,
                target=IncidentStatus.CLOSED, permission=MANAGE_STATUS)
    def close(self):
        """The headquarters closes the file after the final report."""


class Report(AppendOnlyModel, Figures):
    """One report about an incident. Never edited: a correction is a new report."""

    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.PROTECT, related_name="reports")
    kind = models.CharField(_("kind"), max_length=20, choices=ReportKind.choices)
    number = models.PositiveIntegerField(_("number"), default=0)
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT,
        related_name="+")
    summary = limited_text(_("what happened or changed"), 2000, blank=True)
    measures = limited_text(_("measures taken"), 2000, blank=True)
    contents = models.JSONField(_("written report contents"), default=dict, blank=True)
    is_complete = models.BooleanField(_("complete"), default=True)
    on_time = models.BooleanField(_("on time"), null=True, blank=True)

    class Meta:
        ordering = ["submitted_at", "pk"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "number"], condition=Q(kind="continuation"),
                name="continuation_number_unique"),
            models.UniqueConstraint(
                fields=["incident"], condition=Q(kind="final"), name="one_final_report"),
            models.UniqueConstraint(
                fields=["incident"], condition=Q(kind="written", is_complete=True),
                name="one_complete_written_report"),
        ]

    def __str__(self):
        return f"{self.incident} {self.title}"

    @property
    def title(self):
        if self.kind == ReportKind.CONTINUATION:
            return _("Continuation report %(number)s") % {"number": report_number(self.number)}
        if self.kind == ReportKind.WRITTEN and not self.is_complete:
            return _("Written report (draft)")
        return self.get_kind_display()


class UpwardReport(models.Model):
    """A report passed up to the county committee, county government or upper departments."""

    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.PROTECT,
        related_name="upward_reports")
    report = models.ForeignKey(
        Report, verbose_name=_("report passed up"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="+")
    recipient = models.CharField(_("to"), max_length=20, choices=UpwardRecipient.choices)
    recipient_detail = models.CharField(_("to whom exactly"), max_length=100, blank=True)
    channel = models.CharField(_("channel"), max_length=20, choices=UpwardChannel.choices)
    sent_at = models.DateTimeField(_("sent at"))
    skipped_level = models.BooleanField(_("skipped a level (越级上报)"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT,
        related_name="+")

    class Meta:
        ordering = ["sent_at", "pk"]
        verbose_name = _("upward report")
        verbose_name_plural = _("upward reports")

    def __str__(self):
        return f"{self.incident} → {self.get_recipient_display()}"


class Inquiry(models.Model):
    """An upper level asks for a report or verification (上级催报/核实): 30 minutes to reply."""

    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.PROTECT, related_name="inquiries")
    asked_by = models.CharField(_("asked by"), max_length=100)
    asked_at = models.DateTimeField(_("asked at"))
    question = limited_text(_("what was asked"), 1000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT,
        related_name="+")
    reply = limited_text(_("reply"), 2000, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("replied by"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["asked_at", "pk"]
        verbose_name = _("upper-level inquiry")
        verbose_name_plural = _("upper-level inquiries")

    def __str__(self):
        return f"{self.incident} {self.asked_by}"


class DeadlineQuerySet(models.QuerySet):
    def open(self):
        return self.filter(met_at__isnull=True, overdue_at__isnull=True,
                           cancelled_at__isnull=True, failed_at__isnull=True)

    def overdue(self):
        return self.filter(met_at__isnull=True, overdue_at__isnull=False,
                           cancelled_at__isnull=True)

    def unsettled(self):
        """Neither met nor cancelled: still asking someone for something, overdue or not."""
        return self.filter(met_at__isnull=True, cancelled_at__isnull=True)


class Deadline(models.Model):
    """A reporting clock, as a row (DESIGN.md "Deadlines live in the database"). Marking it
    met, reminded or overdue is a conditional update, so doing it twice changes nothing."""

    kind = models.CharField(_("kind"), max_length=20, choices=DeadlineKind.choices)
    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.PROTECT, related_name="deadlines")
    inquiry = models.OneToOneField(
        Inquiry, verbose_name=_("inquiry"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="deadline")
    # The member unit that owes it (a notice's acknowledgement): its liaisons hear when it
    # falls overdue, and the live feed names it. None for the incident's own clocks.
    unit = models.ForeignKey(
        Unit, verbose_name=_("owed by"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+")
    starts_at = models.DateTimeField(_("starts at"))
    due_at = models.DateTimeField(_("due at"))
    remind_at = models.DateTimeField(_("reminder at"))
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    met_at = models.DateTimeField(_("met at"), null=True, blank=True)
    overdue_at = models.DateTimeField(_("marked overdue at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(
        _("no longer needed since"), null=True, blank=True,
        help_text=_("Settled without being met: the response that started it ended or was "
                    "handed over."))
    # Set aside by the sweep because it could not be processed (incidents.clocks): never
    # tried again, so one bad row cannot stop the others; repaired by hand.
    failed_at = models.DateTimeField(_("set aside at"), null=True, blank=True)
    failure = models.CharField(_("why it was set aside"), max_length=300, blank=True)

    objects = DeadlineQuerySet.as_manager()

    class Meta:
        ordering = ["due_at"]
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        indexes = [
            models.Index(fields=["due_at"], condition=Q(
                met_at__isnull=True, overdue_at__isnull=True, cancelled_at__isnull=True),
                name="deadline_open_due"),
            models.Index(fields=["remind_at"], condition=Q(
                met_at__isnull=True, overdue_at__isnull=True, cancelled_at__isnull=True,
                reminded_at__isnull=True),
                name="deadline_reminder_due"),
            # An incident's next running clock and whether one is overdue, for each row of
            # a list (incidents.selectors), without reading the settled clocks of the past.
            models.Index(fields=["incident", "due_at"], condition=Q(
                met_at__isnull=True, overdue_at__isnull=True, cancelled_at__isnull=True,
                failed_at__isnull=True),
                name="deadline_running_by_incident"),
            models.Index(fields=["incident"], condition=Q(
                met_at__isnull=True, overdue_at__isnull=False, cancelled_at__isnull=True),
                name="deadline_overdue_by_incident"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["incident"], condition=Q(kind="written_report"),
                                    name="one_written_report_clock"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.incident}"

    @property
    def state(self):
        if self.met_at:
            return "met"
        if self.cancelled_at:
            return "cancelled"
        if self.overdue_at:
            return "overdue"
        if self.failed_at:
            return "failed"
        return "running"

    @property
    def met_late(self):
        return bool(self.met_at and self.met_at > self.due_at)
