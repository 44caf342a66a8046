"""What the command room and the unit dashboard show: one read of every app's state."""

from django.db.models import Prefetch

from directory.choices import UnitKind
from directory.selectors import shifts_on_duty
from early_warnings.choices import WarningLevel
from early_warnings.selectors import in_effect
from incidents.choices import DeadlineKind
from incidents.models import Deadline
from incidents.selectors import incidents_visible_to
from response.choices import OPEN_STATES, RUNNING_STATES, ChecklistStatus, ResponseLevel
from response.models import Response
from timeline.selectors import latest_seq

WARNING_ORDER = [WarningLevel.MAJOR, WarningLevel.LARGER, WarningLevel.GENERAL]
LEVEL_ORDER = [ResponseLevel.LEVEL_I, ResponseLevel.LEVEL_II, ResponseLevel.LEVEL_III]


def command_room(user, units=None):
    """What the command room shows this user now; `units` narrows it to what concerns
    those units (a member unit's dashboard). `seq` is read first: the state below is at
    least as new as it, so a browser that resumes from it misses nothing."""
    seq = latest_seq()
    incidents = incidents_visible_to(user).in_progress()
    if units is not None:
        incidents = incidents.filter(responses__notices__unit__in=units).distinct()
    incidents = list(incidents.order_by("-reported_at").prefetch_related(
        Prefetch("deadlines", to_attr="clocks", queryset=Deadline.objects
            .unsettled().select_related("inquiry", "notice__unit").order_by("due_at")),
        Prefetch("responses", to_attr="live_responses", queryset=Response.objects.filter(
            state__in=OPEN_STATES).prefetch_related("notices").order_by("-pk"))))
    for incident in incidents:
        _summarise_clocks(incident)
    incidents.sort(key=_urgency)
    return {
        "seq": seq,
        "incidents": incidents,
        "warnings": sorted(in_effect(), key=_warning_rank),
        "groups": _task_groups([i.pk for i in incidents], units),
        "on_duty": [s for s in shifts_on_duty() if s.unit.kind == UnitKind.OFFICE],
    }


def _summarise_clocks(incident):
    """The report and inquiry clocks one by one; the notices as one line: how many were
    acknowledged, the next to fall due, and the units already overdue."""
    incident.response = incident.live_responses[0] if incident.live_responses else None
    pending = [d for d in incident.clocks if d.kind == DeadlineKind.NOTICE_ACK]
    incident.report_clocks = [d for d in incident.clocks if d.kind != DeadlineKind.NOTICE_ACK]
    notices = incident.response.notices.all() if incident.response else []
    incident.notices_total = len(notices)
    incident.notices_acknowledged = sum(n.acknowledged_at is not None for n in notices)
    incident.notice_clock = next((d for d in pending if not d.overdue_at), None)
    incident.notices_overdue = [d.notice.unit for d in pending if d.overdue_at]


def _urgency(incident):
    """Overdue clocks first, then the higher response level, then the newest."""
    level = incident.response.level if incident.response else ""
    level_rank = LEVEL_ORDER.index(level) if level in LEVEL_ORDER else len(LEVEL_ORDER)
    return not incident.has_overdue, level_rank, -incident.reported_at.timestamp()


def _warning_rank(warning):
    """Highest level first, then the newest."""
    return WARNING_ORDER.index(warning.level), -warning.issued_at.timestamp()


def _task_groups(incident_ids, units):
    """For each active response, its task groups with their units, how many of the units
    noticed have acknowledged, and how many checklist items are done."""
    responses = Response.objects.filter(
        incident__in=incident_ids, state__in=RUNNING_STATES).select_related(
        "incident__township").prefetch_related(
        "task_groups__lead_unit", "task_groups__member_units", "notices", "checklist")
    result = []
    for response in responses:
        acknowledged = {n.unit_id: n.acknowledged_at is not None for n in response.notices.all()}
        rows = []
        for group in response.task_groups.all():
            members = [group.lead_unit, *[u for u in group.member_units.all()
                                          if u.pk != group.lead_unit_id]]
            if units is not None and not {u.pk for u in members} & set(units):
                continue
            noticed = [u for u in members if u.pk in acknowledged]
            items = [i for i in response.checklist.all() if i.task_group_id == group.pk]
            rows.append({
                "group": group, "units": members,
                "acknowledged": sum(acknowledged[u.pk] for u in noticed),
                "noticed": len(noticed),
                "done": sum(i.status == ChecklistStatus.DONE for i in items), "items": len(items),
            })
        if rows:
            result.append({"response": response, "groups": rows})
    return result
