from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incidents import selectors, services, written_report
from incidents.docx_export import written_report_docx
from incidents.filters import IncidentFilter
from incidents.forms import (
    FOLLOW_UP_KINDS,
    FollowUpReportForm,
    InquiryForm,
    IntakeForm,
    ReplyForm,
    UpwardReportForm,
    WrittenReportForm,
)
from incidents.grading import grade_incident, suggest_response_level
from incidents.models import Incident, Inquiry
from timeline.selectors import latest_seq
from zezhou_heat.forms import add_service_errors
from zezhou_heat.permissions import HANDLE_INQUIRIES, REPORT, VIEW_INCIDENTS
from zezhou_heat.views import confirmed, page_action

PAGE_SIZE = 25
may_view = permission_required(VIEW_INCIDENTS, raise_exception=True)
may_report = permission_required(REPORT, raise_exception=True)
may_handle_inquiries = permission_required(HANDLE_INQUIRIES, raise_exception=True)


def live_context(request):
    """What a page that stays current needs (static/js/live.js with data-parts): the latest
    event, read before the page's state, and the address it re-fetches itself from, marked
    so that the re-fetch leaves the flash messages alone."""
    query = request.GET.copy()
    query["live"] = "1"
    return {"live_seq": latest_seq(), "heartbeat_seconds": settings.LIVE_HEARTBEAT_SECONDS,
            "live_url": f"{request.path}?{query.urlencode()}",
            "live_refresh": bool(request.GET.get("live"))}


@login_required
@may_view
def incident_list(request):
    live = live_context(request)
    incidents = IncidentFilter(request.GET, queryset=selectors.incidents_visible_to(request.user))
    page = Paginator(incidents.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("live", None)
    return render(request, "incidents/list.html",
                  {"filter": incidents, "page": page, "query": query.urlencode(), **live})


@login_required
@may_report
def incident_new(request):
    form = IntakeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.incident_reported(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("First report logged: the written report is due in "
                                        "30 minutes."))
            return redirect("incidents:detail", pk=incident.pk)
    return render(request, "incidents/intake.html", {"form": form})


def _visible(request, pk):
    try:
        return selectors.incident_detail(pk, request.user)
    except Incident.DoesNotExist:
        raise Http404 from None


@login_required
@may_view
def incident_detail(request, pk):
    live = live_context(request)
    incident = _visible(request, pk)
    grading = grade_incident(deaths=incident.deaths, serious_injuries=incident.serious_injuries,
                             direct_loss=incident.direct_loss)
    suggestion = suggest_response_level(
        grade=incident.grade, deaths=incident.deaths, serious_injuries=incident.serious_injuries,
        beyond_township_capacity=incident.beyond_township_capacity)
    return render(request, "incidents/detail.html", {
        "incident": incident,
        "grading": grading,
        "suggestion": suggestion,
        "events": selectors.incident_events(incident)[:100],
        "reply_form": ReplyForm(),
        **live,
    })


@login_required
@may_report
def written_report_page(request, pk):
    incident = _visible(request, pk)
    draft = selectors.latest_written_draft(incident)
    form = WrittenReportForm(request.POST or None, incident=incident, draft=draft)
    if request.method == "POST" and form.is_valid():
        try:
            report = services.written_report_saved(
                actor=request.user, incident=incident, contents=form.contents(),
                figures=form.figures())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if report.is_complete:
                messages.success(request, _("Written report submitted."))
                return redirect("incidents:detail", pk=incident.pk)
            messages.warning(request, _("Saved as a draft: the clock keeps running until every "
                                        "item is filled in."))
            return redirect("incidents:written", pk=incident.pk)
    missing = written_report.missing_elements(draft.contents) if draft else []
    return render(request, "incidents/written_report.html", {
        "incident": incident, "form": form, "draft": draft, "missing": missing,
        "element_keys": written_report.KEYS})


@login_required
@may_report
def follow_up_report(request, pk, kind):
    incident = _visible(request, pk)
    if kind not in FOLLOW_UP_KINDS:
        raise Http404
    form = FollowUpReportForm(request.POST or None, incident=incident)
    if request.method == "POST" and form.is_valid():
        service = (services.continuation_report_filed if kind == "continuation"
                   else services.final_report_filed)
        try:
            report = service(actor=request.user, incident=incident,
                             summary=form.cleaned_data["summary"],
                             measures=form.cleaned_data["measures"], figures=form.figures())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("%(report)s filed.") % {"report": report.title})
            return redirect("incidents:detail", pk=incident.pk)
    return render(request, "incidents/follow_up.html", {
        "incident": incident, "form": form, "kind": FOLLOW_UP_KINDS[kind]})


@login_required
@may_handle_inquiries
def upward_report_new(request, pk):
    incident = _visible(request, pk)
    form = UpwardReportForm(request.POST or None, incident=incident)
    if request.method == "POST" and form.is_valid():
        try:
            with confirmed(request):
                services.upward_report_recorded(actor=request.user, incident=incident,
                                                **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("incidents:detail", pk=incident.pk)
    return render(request, "incidents/simple_form.html", {
        "incident": incident, "form": form, "title": _("Record a report passed up")})


@login_required
@may_handle_inquiries
def inquiry_new(request, pk):
    incident = _visible(request, pk)
    form = InquiryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.inquiry_recorded(actor=request.user, incident=incident, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Inquiry recorded: the reply is due in 30 minutes."))
            return redirect("incidents:detail", pk=incident.pk)
    return render(request, "incidents/simple_form.html", {
        "incident": incident, "form": form, "title": _("Record an upper-level inquiry")})


@login_required
@may_handle_inquiries
@require_POST
def inquiry_reply(request, pk, inquiry_pk):
    incident = _visible(request, pk)
    inquiry = get_object_or_404(Inquiry, pk=inquiry_pk, incident=incident)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            with confirmed(request):
                services.inquiry_replied(actor=request.user, inquiry=inquiry,
                                         reply=form.cleaned_data["reply"])
        except ValidationError as error:
            add_service_errors(form, error)
    if form.errors:
        return render(request, "incidents/simple_form.html", {
            "incident": incident, "form": form, "title": _("Reply to the inquiry")}, status=400)
    return redirect("incidents:detail", pk=incident.pk)


@login_required
@require_POST
def status_change(request, pk, transition):
    incident = _visible(request, pk)
    if transition not in ("begin_response", "bring_under_control", "close"):
        raise Http404
    return page_action(request, services.incident_status_changed, back=f"/incidents/{pk}/",
                       incident=incident, transition=transition)


@login_required
@may_view
def written_report_download(request, pk):
    incident = _visible(request, pk)
    report = incident.reports.filter(kind="written").order_by("-is_complete", "-pk").first()
    if report is None:
        raise Http404
    response = HttpResponse(
        written_report_docx(report),
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    response["Content-Disposition"] = f'attachment; filename="incident-{incident.pk}-written.docx"'
    return response
