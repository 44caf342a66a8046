from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from directory.models import TaskGroup
from incidents.selectors import incidents_visible_to
from response import authority, selectors, services
from response.choices import CONDITIONS, OPEN_STATES, ResponseLevel
from response.forms import (
    ChecklistForm,
    ConditionForm,
    HandOverForm,
    LevelChangeForm,
    ProposalForm,
    SiteHeadquartersForm,
)
from response.models import ChecklistItem, Notice
from zezhou_heat.forms import NoteForm
from zezhou_heat.views import action_view, page_action


def response_panel(user, incident):
    """What the incident page's response panel shows and offers to this user."""
    responses = list(selectors.responses_of(incident))
    return {
        "responses": responses,
        "open_response": any(r.state in OPEN_STATES for r in responses),
        "after_final_report": incident.reporting_closed,
        "can_propose": not incident.reporting_closed and incident.status != "closed" and (
            user.has_perm(authority.PROPOSE) or user.has_perm(authority.LEVEL_PERMISSION["III"])),
        "levels": ResponseLevel.choices,
        "conditions": CONDITIONS,
        "task_groups": TaskGroup.objects.all(),
        "default_groups": services.default_groups(incident.scenario),
        "start_refused": [authority.who_may_start(level) for level in ResponseLevel
                          if not authority.may_start(user, level)],
    }


def _response(request, pk):
    return get_object_or_404(selectors.responses_visible_to(request.user), pk=pk)


def _incident_url(response):
    return f"/incidents/{response.incident_id}/#response"


@login_required
@require_POST
def propose(request, incident_pk):
    incident = get_object_or_404(incidents_visible_to(request.user), pk=incident_pk)
    service = (services.response_started_directly if request.POST.get("direct")
               else services.response_proposed)
    return page_action(request, service, ProposalForm, back=f"/incidents/{incident.pk}/#response",
                       incident=incident)


def _action(service, form_class=None):
    return action_view(service, form_class, subject="response", load=_response,
                       back=_incident_url)


approve = _action(services.response_approved, NoteForm)
reject = _action(services.response_rejected, NoteForm)
change_level = _action(services.response_level_changed, LevelChangeForm)
site_headquarters = _action(services.site_headquarters_recorded, SiteHeadquartersForm)
confirm_condition = _action(services.condition_confirmed, ConditionForm)
hand_over = _action(services.response_handed_over, HandOverForm)
end = _action(services.response_ended)


@login_required
def unit_page(request):
    """A member unit's notices to acknowledge and its groups' checklist items."""
    return render(request, "response/unit.html", {
        "notices": selectors.notices_for(request.user),
        "items": selectors.checklist_for(request.user),
        "statuses": ChecklistForm.base_fields["status"].choices,
    })


def _unit_page(obj):
    return reverse("response:unit")


acknowledge = action_view(services.notice_acknowledged, subject="notice",
                          load=lambda request, pk: get_object_or_404(Notice, pk=pk),
                          back=_unit_page)
mark_item = action_view(services.checklist_item_updated, ChecklistForm, subject="item",
                        load=lambda request, pk: get_object_or_404(ChecklistItem, pk=pk),
                        back=_unit_page)
