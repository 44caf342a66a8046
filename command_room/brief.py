"""The situation brief (态势简报): the command room's state at one moment, in the form the
commander sends it upward: a printable page and a Word document (command_room.brief_docx).

It is built from the command room's own read (command_room.selectors.command_room), so the
brief says what the wall says, for the same reader: a township officer's brief holds only his
township's incidents. Reading it writes nothing; issuing it is command_room.services."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Prefetch, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from command_room.audience import WARNING, Audience
from command_room.selectors import LEVEL_ORDER, WARNING_ORDER
from directory.choices import PositionCode
from directory.models import Unit
from directory.selectors import held_units
from early_warnings.selectors import PUBLIC_EVENT_KINDS, in_effect
from incidents.choices import DeadlineKind, ResponseLevel
from incidents.models import Deadline
from incidents.selectors import incidents_visible_to
from response.choices import OPEN_STATES, RUNNING_STATES, ChecklistStatus
from response.models import Response
from timeline.groups import group_key
from timeline.models import Event
from timeline.selectors import latest_seq
from zezhou_heat.permissions import VIEW_ALL_INCIDENTS

LATEST_EVENTS = 15
EVENTS_READ = 300  # events read to find the latest lines, runs of alike events collapsed
# Routine administration stays on the timeline, not in a brief sent upward.
ROUTINE_KINDS = ("directory.", "auth.", "response.playbookitem.", "brief.")
NO_RESPONSE = gettext_lazy("No response running")
# Clocks owed by a member unit (its notice, and the notice's escalation), not report clocks.
UNIT_CLOCKS = (DeadlineKind.NOTICE_ACK, DeadlineKind.ESCALATION)


@dataclass
class Totals:
    """Real incidents only: a drill is listed, marked, and counted apart."""

    by_level: dict  # response level -> incidents; "" for those with no response running
    households: int  # households without heat
    overdue_clocks: int
    unacknowledged_units: int  # notices sent and not yet acknowledged
    warnings: int  # warnings in effect
    drills: int = 0

    @property
    def incidents(self):
        return sum(self.by_level.values())

    def level_rows(self):
        """(level, label, count) in the plan's order, then those with no response running."""
        return [(level, ResponseLevel(level).label if level else NO_RESPONSE,
                 self.by_level.get(level, 0)) for level in [*LEVEL_ORDER, ""]]


class ClockLine(str):
    """A clock as a sentence, which knows whether it is overdue."""

    def __new__(cls, text, overdue=False):
        line = super().__new__(cls, text)
        line.overdue = overdue
        return line


@dataclass
class Overdue:
    incident: object
    clocks: list  # report and inquiry clocks overdue
    units: list  # units whose acknowledgement is overdue
    as_of: datetime

    def lines(self):
        lines = [clock_line(deadline, self.as_of) for deadline in self.clocks]
        if self.units:
            lines.append(overdue_units_line(self.units))
        return lines


@dataclass
class SituationBrief:
    as_of: datetime
    seq: int  # the last timeline event the state includes
    scope: list  # the units a narrowed reader sees; empty for the whole county
    totals: Totals
    incidents: list
    groups: list
    warnings: list
    overdue: list = field(default_factory=list)
    events: list = field(default_factory=list)

    @property
    def scope_codes(self):
        return sorted(unit.code for unit in self.scope)


def situation_brief(user):
    state = brief_state(user)
    incidents, as_of = state["incidents"], timezone.now()
    return SituationBrief(
        as_of=as_of, seq=state["seq"], scope=scope_of(user),
        totals=brief_totals(state), incidents=incidents, groups=state["groups"],
        warnings=state["warnings"], overdue=overdue_of(incidents, as_of),
        events=latest_events(user, state["seq"]))


def brief_state(user):
    """The command room's state for a brief: the same incidents as the wall (in progress,
    visible to the reader, most urgent first), read whole, as model instances (every late
    unit by name, every task group, casualties): a brief is read when one is produced, not
    at every event, so it does not need the wall's lean rows (command_room.selectors)."""
    seq = latest_seq()
    incidents = list(incidents_visible_to(user).in_progress().select_related("township")
                     .order_by("-reported_at").prefetch_related(
        Prefetch("deadlines", to_attr="clocks", queryset=Deadline.objects.unsettled()
                 .select_related("inquiry", "unit").order_by("due_at")),
        Prefetch("responses", to_attr="live_responses", queryset=Response.objects.filter(
            state__in=OPEN_STATES).prefetch_related("notices__unit").order_by("-pk"))))
    for incident in incidents:
        _summarise_clocks(incident)
    incidents.sort(key=_urgency)
    return {"seq": seq, "incidents": incidents, "groups": _task_groups(incidents),
            "warnings": sorted(in_effect(), key=lambda w: (
                WARNING_ORDER.index(w.level), -w.issued_at.timestamp()))}


def _summarise_clocks(incident):
    incident.response = incident.live_responses[0] if incident.live_responses else None
    pending = [d for d in incident.clocks if d.kind == DeadlineKind.NOTICE_ACK]
    incident.report_clocks = [d for d in incident.clocks if d.kind not in UNIT_CLOCKS]
    notices = incident.response.notices.all() if incident.response else []
    incident.notices_total = len(notices)
    incident.notices_acknowledged = sum(n.acknowledged_at is not None for n in notices)
    incident.notices_overdue = [d.unit for d in pending if d.overdue_at and d.unit]
    incident.has_overdue = bool(incident.notices_overdue) or any(
        d.overdue_at for d in incident.report_clocks)


def _urgency(incident):
    """As on the wall: overdue clocks first, then the higher response level, the newest."""
    level = incident.response.level if incident.response else ""
    level_rank = LEVEL_ORDER.index(level) if level in LEVEL_ORDER else len(LEVEL_ORDER)
    return not incident.has_overdue, level_rank, -incident.reported_at.timestamp()


def _task_groups(incidents):
    """Every running response's task groups: their units, how many of the units noticed
    have acknowledged, how many checklist items are done."""
    responses = Response.objects.filter(
        incident__in=[i.pk for i in incidents], state__in=RUNNING_STATES).select_related(
        "incident__township").prefetch_related(
        "task_groups__lead_unit", "task_groups__member_units", "notices", "checklist")
    result = []
    for response in responses:
        acknowledged = {n.unit_id: n.acknowledged_at is not None for n in response.notices.all()}
        rows = []
        for group in response.task_groups.all():
            members = [group.lead_unit, *[u for u in group.member_units.all()
                                          if u.pk != group.lead_unit_id]]
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


def brief_totals(state):
    """The totals strip, from the command room's state."""
    real = [i for i in state["incidents"] if not i.is_drill]
    return Totals(
        by_level=Counter(_running_level(i) for i in real),
        households=sum(i.households_affected for i in real),
        overdue_clocks=sum(sum(1 for d in i.report_clocks if d.overdue_at)
                           + len(i.notices_overdue) for i in real),
        unacknowledged_units=sum(i.notices_total - i.notices_acknowledged for i in real),
        warnings=sum(1 for w in state["warnings"] if not w.is_drill),
        drills=len(state["incidents"]) - len(real))


def _running_level(incident):
    response = incident.response
    return response.level if response and response.state in RUNNING_STATES else ""


def overdue_of(incidents, as_of):
    rows = [Overdue(i, [d for d in i.report_clocks if d.overdue_at], i.notices_overdue, as_of)
            for i in incidents]
    return [row for row in rows if row.clocks or row.units]


def scope_of(user):
    """The townships and enterprises a reader is limited to; [] when he sees the county."""
    if user.has_perm(VIEW_ALL_INCIDENTS):
        return []
    ids = (held_units(user, PositionCode.TOWNSHIP_OFFICER)
           | held_units(user, PositionCode.ENTERPRISE_REPORTER))
    return list(Unit.objects.filter(pk__in=ids).order_by("code"))


def latest_events(user, seq):
    """The latest events the reader may see, up to the state's own, newest first. A run of
    alike events, and the events of one group (22 notices falling overdue at once, and their
    escalations between them: timeline.groups), is one line, its newest event, with
    `repeated` saying how many (the overdue units are named in their own section)."""
    events = Audience.of(user).filter(Event.objects.filter(seq__lte=seq))
    for prefix in ROUTINE_KINDS:
        events = events.exclude(kind__startswith=prefix)
    # Drafts and approvals are the office's own work: a brief names warnings once issued.
    events = events.exclude(Q(kind__startswith=WARNING) & ~Q(kind__in=PUBLIC_EVENT_KINDS))
    lines, groups = [], {}
    for event in events.select_related("incident").order_by("-seq")[:EVENTS_READ]:
        group = group_key(event.kind, event.new, event.incident_id)
        if group in groups:  # the units' clocks and escalations, interleaved: one line each
            groups[group].repeated += 1
            continue
        if group is None and lines and _alike(lines[-1], event):
            lines[-1].repeated += 1
            continue
        if len(lines) == LATEST_EVENTS:
            break
        event.repeated = 1
        lines.append(event)
        if group:
            groups[group] = event
    return lines


def _alike(one, other):
    return (one.kind, one.incident_id, (one.new or {}).get("kind")) == (
        other.kind, other.incident_id, (other.new or {}).get("kind"))


def event_sentence(event):
    """An event as the timeline says it, as plain text (for the Word document)."""
    html = render_to_string("timeline/_event_text.html", {"event": event})
    return " ".join(strip_tags(html).split())


def clock_line(deadline, as_of):
    """One clock as a brief states it at its moment: what is due, when, and how it stands."""
    due = timezone.localtime(deadline.due_at).strftime("%H:%M")
    if deadline.kind == DeadlineKind.INQUIRY_REPLY:
        what = _("Reply to the inquiry of %(asker)s") % {"asker": deadline.inquiry.asked_by}
    else:
        what = _("Written report")
    if deadline.overdue_at:
        return ClockLine(_("%(what)s due %(due)s, overdue") % {"what": what, "due": due},
                         overdue=True)
    minutes = max(0, int((deadline.due_at - as_of).total_seconds() // 60))
    return ClockLine(_("%(what)s due %(due)s, %(minutes)s min left") % {
        "what": what, "due": due, "minutes": minutes})


def clock_lines(incident, as_of):
    """Every open clock of an incident, its notices as one line."""
    lines = [clock_line(deadline, as_of) for deadline in incident.report_clocks]
    if incident.notices_total:
        lines.append(ClockLine(_("Notices acknowledged %(done)s/%(total)s") % {
            "done": incident.notices_acknowledged, "total": incident.notices_total}))
    return lines


def overdue_units_line(units):
    return _("%(count)s units overdue acknowledging the activation notice: %(units)s") % {
        "count": len(units), "units": "、".join(unit.name for unit in units)}
