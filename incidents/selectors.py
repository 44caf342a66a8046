from django.db.models import Exists, OuterRef, Prefetch, Q, Subquery

from incidents.authority import scope_of
from incidents.models import Deadline, Incident, Inquiry, Report, UpwardReport
from timeline.models import Event
from zezhou_heat.permissions import VIEW_ALL_INCIDENTS, VIEW_INCIDENTS


def incidents_visible_to(user):
    open_clocks = Deadline.objects.open().filter(incident=OuterRef("pk")).order_by("due_at")
    incidents = Incident.objects.select_related("township", "reporter_unit").annotate(
        has_overdue=Exists(Deadline.objects.overdue().filter(incident=OuterRef("pk"))),
        next_due_at=Subquery(open_clocks.values("due_at")[:1]))
    if user.has_perm(VIEW_ALL_INCIDENTS):
        return incidents
    if not user.has_perm(VIEW_INCIDENTS):
        return incidents.none()
    townships, enterprises = scope_of(user)
    return incidents.filter(Q(township__in=townships) | Q(reporter_unit__in=enterprises))


def incident_detail(pk, user):
    return incidents_visible_to(user).prefetch_related(
        Prefetch("reports", queryset=Report.objects.select_related("author")),
        Prefetch("upward_reports", queryset=UpwardReport.objects.select_related("report")),
        Prefetch("inquiries", queryset=Inquiry.objects.select_related("deadline", "replied_by")),
        Prefetch("deadlines", queryset=Deadline.objects.select_related("inquiry")),
    ).get(pk=pk)


def incident_events(incident):
    return Event.objects.filter(incident=incident).select_related(
        "incident__township").order_by("-seq")


def latest_written_draft(incident):
    return incident.reports.filter(kind="written", is_complete=False).order_by("-pk").first()
