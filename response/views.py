from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from directory.models import TaskGroup
from incidents.selectors import incidents_visible_to
from response import authority, selectors, services
from response.choices import CONDITIONS, ResponseLevel
from response.forms import (
    ChecklistForm,
    ConditionForm,
    HandOverForm,
    LevelChangeForm,
    NoteForm,
    ProposalForm,
    SiteHeadquartersForm,
)
from response.models import ChecklistItem, Notice
from zezhou_heat.views import run_action


def response_panel(user, incident):
    """What the incident page's response panel shows and offers to this user."""
    responses = list(selectors.responses_of(incident))
    return {
        "responses": responses,
        "open_response": any(r.state in services.OPEN_STATES for r in responses),
        "can_propose": incident.status != "closed" and (
            user.has_perm(authority.PROPOSE) or user.has_perm(authority.LEVEL_PERMISSION["III"])),
        "levels": ResponseLevel.choices,
        "conditions": CONDITIONS,
        "task_groups": TaskGroup.objects.all(),
        "default_groups": services.default_groups(incident.scenario),
    }


def _response(request, pk):
    return get_object_or_404(selectors.responses_visible_to(request.user), pk=pk)


def _incident_url(response):
    return f"/incidents/{response.incident_id}/#response"


@login_required
@require_POST
def propose(request, incident_pk):
    incident = get_object_or_404(incidents_visible_to(request.user), pk=incident_pk)
    form = ProposalForm(request.POST)
    back = f"/incidents/{incident.pk}/#response"
    if not form.is_valid():
        messages.error(request, _("Choose a level."))
        return redirect(back)
    service = (services.response_started_directly if request.POST.get("direct")
               else services.response_proposed)
    return run_action(request, lambda: service(actor=request.user, incident=incident,
                                         **form.cleaned_data), back)


def _note_action(service):
    @login_required
    @require_POST
    def view(request, pk):
        response = _response(request, pk)
        form = NoteForm(request.POST)
        form.is_valid()
        return run_action(request, lambda: service(actor=request.user, response=response,
                                             note=form.cleaned_data.get("note", "")),
                    request.POST.get("next") or _incident_url(response))
    return view


approve = _note_action(services.response_approved)
reject = _note_action(services.response_rejected)


def _form_action(form_class, service):
    @login_required
    @require_POST
    def view(request, pk):
        response = _response(request, pk)
        form = form_class(request.POST)
        if not form.is_valid():
            messages.error(request, " ".join(
                f"{form.fields[name].label or name}: {' '.join(errors)}"
                for name, errors in form.errors.items()))
            return redirect(_incident_url(response))
        return run_action(request, lambda: service(actor=request.user, response=response,
                                             **form.cleaned_data), _incident_url(response))
    return view


change_level = _form_action(LevelChangeForm, services.response_level_changed)
site_headquarters = _form_action(SiteHeadquartersForm, services.site_headquarters_recorded)
confirm_condition = _form_action(ConditionForm, services.condition_confirmed)
hand_over = _form_action(HandOverForm, services.response_handed_over)


@login_required
@require_POST
def end(request, pk):
    response = _response(request, pk)
    return run_action(request, lambda: services.response_ended(actor=request.user, response=response),
                _incident_url(response))


@login_required
def unit_page(request):
    """A member unit's notices to acknowledge and its groups' checklist items."""
    return render(request, "response/unit.html", {
        "notices": selectors.notices_for(request.user),
        "items": selectors.checklist_for(request.user),
        "statuses": ChecklistForm.base_fields["status"].choices,
    })


@login_required
@require_POST
def acknowledge(request, pk):
    notice = get_object_or_404(Notice, pk=pk)
    return run_action(request, lambda: services.notice_acknowledged(actor=request.user, notice=notice),
                      _back(request))


@login_required
@require_POST
def mark_item(request, pk):
    item = get_object_or_404(ChecklistItem, pk=pk)
    form = ChecklistForm(request.POST)
    back = _back(request)
    if not form.is_valid():
        messages.error(request, _("Choose a status."))
        return redirect(back)
    return run_action(request, lambda: services.checklist_item_updated(
        actor=request.user, item=item, **form.cleaned_data), back)


def _back(request):
    """Where the unit page or dashboard that posted wants to return: a page of this site."""
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, {request.get_host()},
                                                request.is_secure()):
        return back
    return "/response/unit/"
