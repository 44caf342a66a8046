from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from early_warnings import cap, selectors, services
from early_warnings.choices import LEVEL_CHANNELS
from early_warnings.filters import WarningFilter
from early_warnings.forms import ChannelsForm, LiftForm, ReportUpForm, UpdateForm, WarningForm
from early_warnings.models import EarlyWarning
from early_warnings.notice import public_notice
from zezhou_heat.errors import StateConflict
from zezhou_heat.forms import NoteForm, add_service_errors
from zezhou_heat.permissions import DRAFT_WARNING, VIEW_WARNINGS
from zezhou_heat.views import action_view, confirmed

may_view = permission_required(VIEW_WARNINGS, raise_exception=True)
may_draft = permission_required(DRAFT_WARNING, raise_exception=True)


@login_required
@may_view
def board(request):
    """In effect, pending approval, drafts, reported up, lifted; by level and township."""
    filtered = WarningFilter(request.GET, queryset=selectors.visible_to(request.user))
    return render(request, "early_warnings/board.html",
                  {"filter": filtered, "sections": selectors.board(filtered.qs, request.user)})


@login_required
@may_draft
def draft(request, pk=None):
    warning = get_object_or_404(EarlyWarning, pk=pk) if pk else None
    form = WarningForm(request.POST or None, instance=warning)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        townships = data.pop("townships")
        service = (services.warning_drafted_and_submitted if "submit" in request.POST
                   else services.warning_draft_saved)
        try:
            with confirmed(request):
                warning = service(actor=request.user, warning=warning, townships=townships,
                                  **data)
        except ValidationError as error:  # a state conflict too: the form again, with why
            add_service_errors(form, error)  # one transaction: nothing was saved
            status = 409 if isinstance(error, StateConflict) else 200
        else:
            return redirect("early_warnings:detail", pk=warning.pk)
    return render(request, "early_warnings/draft.html", {"form": form, "warning": warning},
                  status=status)


@login_required
@may_draft
@require_POST
def preview(request):
    """The public notice as the draft stands, for the live preview beside the form."""
    form = WarningForm(request.POST)
    form.is_valid()
    data = {name: form.cleaned_data.get(name) for name in form.fields}
    townships = [unit.short_name for unit in data.pop("townships") or []]
    warning = EarlyWarning(**{k: v for k, v in data.items() if v is not None})
    return HttpResponse(public_notice(warning, townships=townships),
                        content_type="text/plain; charset=utf-8")


@login_required
@may_view
def detail(request, pk):
    warning = get_object_or_404(selectors.visible_to(request.user), pk=pk)
    return render(request, "early_warnings/detail.html", {
        "warning": warning,
        "notice": public_notice(warning),
        "missing": [EarlyWarning._meta.get_field(name).verbose_name
                    for name in warning.missing_elements()],
        "revisions": warning.revisions.all(),
        "level_channels": LEVEL_CHANNELS[warning.level],
        "update_form": UpdateForm(_kept(request, "early_warnings:update", pk),
                                  initial={"level": warning.level,
                                           "townships": warning.townships.all(),
                                           "places": warning.places}),
        "channels_form": ChannelsForm(initial={"channels": warning.channels}),
    })


def _kept(request, name, pk):
    """What a refused form of this page had typed (zezhou_heat.views.refused), or None."""
    kept = getattr(request, "kept", None)
    return kept.data if kept and kept.action == reverse(name, args=[pk]) else None


def _action(service, form_class=None):
    return action_view(service, form_class, subject="warning",
                       load=lambda request, pk: get_object_or_404(
                           selectors.visible_to(request.user), pk=pk),
                       back=lambda warning: f"/warnings/{warning.pk}/")


submit = _action(services.warning_submitted)
approve = _action(services.warning_approved, NoteForm)
reject = _action(services.warning_rejected, NoteForm)
report_up = _action(services.warning_reported_up, ReportUpForm)
update = _action(services.warning_updated, UpdateForm)
channels = _action(services.warning_channels_set, ChannelsForm)
lift = _action(services.warning_lifted, LiftForm)


@login_required
@may_view
def cap_download(request, pk, version):
    warning = get_object_or_404(selectors.visible_to(request.user), pk=pk)
    revision = warning.revisions.filter(version=version).first()
    if revision is None:
        raise Http404
    response = HttpResponse(cap.alert_xml(revision), content_type="application/cap+xml")
    response["Content-Disposition"] = f'attachment; filename="{cap.identifier(revision)}.xml"'
    return response


def public_notice_page(request, pk):
    """The notice as the public reads it (linked from the CAP `web` element): no login, and
    only for warnings that were issued."""
    warning = get_object_or_404(EarlyWarning, pk=pk, state__in=selectors.PUBLIC_STATES)
    return render(request, "early_warnings/public_notice.html",
                  {"warning": warning, "notice": public_notice(warning)})
