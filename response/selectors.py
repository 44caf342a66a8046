from django.db.models import F, Prefetch, Q

from directory.choices import PositionCode
from directory.selectors import held_units
from incidents.selectors import incidents_visible_to
from response import authority
from response.choices import ResponseState
from response.models import ChecklistItem, Notice, Response


def _with_details(responses):
    return responses.select_related("incident__township").prefetch_related(
        "task_groups", "level_changes",
        Prefetch("notices", queryset=Notice.objects.select_related("unit", "deadline")),
        Prefetch("checklist", queryset=ChecklistItem.objects.select_related("task_group")))


def responses_visible_to(user):
    return _with_details(Response.objects.filter(incident__in=incidents_visible_to(user)))


def responses_of(incident):
    """An incident's responses, newest first, for a user who may see the incident."""
    return _with_details(Response.objects.filter(incident=incident))


def awaiting_decision_by(user):
    """Proposals this user has the authority to approve: the commander's inbox, the most
    severe first (Level Ⅰ asked first, then the most deaths and serious injuries), and within
    that the longest waiting first."""
    proposals = responses_visible_to(user).filter(state=ResponseState.PROPOSED)
    return sorted((r for r in proposals if authority.may_start_level(r, user)),
                  key=lambda r: (-severity(r), -r.incident.deaths, -r.incident.serious_injuries,
                                 r.proposed_at))


def severity(response):
    """3 for Level Ⅰ, 2 for Ⅱ, 1 for Ⅲ: what the inbox sorts by, beside warning levels."""
    return authority.LEVELS.order.index(response.level) + 1


def notices_for(user):
    """The user's member units' notices, those still to acknowledge first."""
    units = held_units(user, PositionCode.UNIT_LIAISON)
    return Notice.objects.filter(unit__in=units).select_related(
        "unit", "deadline", "response__incident__township").order_by(
        F("acknowledged_at").asc(nulls_first=True), "-sent_at")


def notices_pending_for(user):
    """Still to acknowledge: not yet acknowledged, and the response still waits for it (its
    clock was not settled by the response ending or being handed over)."""
    return notices_for(user).filter(acknowledged_at__isnull=True,
                                    deadline__cancelled_at__isnull=True)


def checklist_for(user):
    units = held_units(user, PositionCode.UNIT_LIAISON)
    return ChecklistItem.objects.filter(
        Q(task_group__lead_unit__in=units) | Q(task_group__member_units__in=units),
        response__state__in=[ResponseState.ACTIVE, ResponseState.HANDED_OVER],
    ).select_related("task_group", "response__incident__township").distinct()
