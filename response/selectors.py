from django.db.models import Count, F, Prefetch, Q

from directory.choices import PositionCode
from directory.selectors import held_units
from incidents.selectors import incidents_visible_to
from response import authority
from response.choices import ChecklistStatus, ResponseState
from response.models import ChecklistItem, Notice, Response


def _with_details(responses):
    return responses.select_related("incident__township").prefetch_related(
        "task_groups", "level_changes",
        Prefetch("notices", queryset=Notice.objects.select_related("unit", "deadline")),
        Prefetch("checklist", queryset=ChecklistItem.objects.select_related("task_group")))


def responses_visible_to(user):
    return _with_details(Response.objects.filter(incident__in=incidents_visible_to(user)))


def responses_listed(user):
    """The responses this user may see, as a list shows them: without their details, which
    page_details() adds for one page at a time."""
    return Response.objects.filter(incident__in=incidents_visible_to(user))


def page_details(response_ids):
    """{response id: its task groups' codes (in the plan's order), how many of its notices
    still wait for an acknowledgement, how many checklist items it has and how many are
    done}: three queries for a page of responses, whatever its size."""
    details = {pk: {"task_groups": [], "notices_waiting": 0, "checklist_total": 0,
                    "checklist_done": 0} for pk in response_ids}
    links = Response.task_groups.through.objects.filter(response_id__in=response_ids)
    for response_id, code in links.order_by("taskgroup__order").values_list(
            "response_id", "taskgroup__code"):
        details[response_id]["task_groups"].append(code)
    waiting = Notice.objects.filter(response_id__in=response_ids, acknowledged_at=None,
                                    deadline__cancelled_at=None)
    for row in waiting.values("response_id").annotate(count=Count("pk")).order_by():
        details[row["response_id"]]["notices_waiting"] = row["count"]
    checklist = ChecklistItem.objects.filter(response_id__in=response_ids).values(
        "response_id").annotate(total=Count("pk"),
                                done=Count("pk", filter=Q(status=ChecklistStatus.DONE)))
    for row in checklist.order_by():
        details[row["response_id"]].update(checklist_total=row["total"],
                                           checklist_done=row["done"])
    return details


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
