"""What the command room, the wall and the unit dashboard show: one read of every app's state.

The board is read as rows and aggregates (`values()`, `Count`, `Min`), never as model
instances per notice, deadline or checklist item, so its cost grows with what it shows and
its query count stays the same whatever the number of incidents. What it returns depends
only on the audience (what the user may see, and the units of a unit dashboard), the
language and the timeline's latest sequence number (and, for who is on duty, the hour):
nothing else of the user is in it, and elapsed times and countdowns are the browser's, so
one render can serve every screen of the same audience.
"""

import threading
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, F, Min, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import get_language, ngettext, pgettext
from django.utils.translation import gettext as _

from command_room.audience import Audience
from directory.choices import UnitKind
from directory.models import DutyShift, TaskGroup
from early_warnings.choices import WarningLevel
from early_warnings.selectors import in_effect
from incidents.choices import DeadlineKind, Grade, Scenario
from incidents.models import Deadline, Incident
from notify.board import delivery_counts
from notify.models import Delivery
from response.choices import (
    OPEN_STATES,
    RUNNING_STATES,
    ChecklistStatus,
    ResponseLevel,
    ResponseState,
)
from response.models import ChecklistItem, Notice, Response
from timeline.models import Event
from timeline.selectors import latest_seq

WARNING_ORDER = [WarningLevel.MAJOR, WarningLevel.LARGER, WarningLevel.GENERAL]
LEVEL_ORDER = [ResponseLevel.LEVEL_I, ResponseLevel.LEVEL_II, ResponseLevel.LEVEL_III]
INCIDENT_FIELDS = ["pk", "is_drill", "grade", "scenario", "place", "households_affected",
                   "reported_at", "township_id", "reporter_unit_id", "township__short_name",
                   "township__name"]
# A board is read again after this even without an event, for whatever changes without one.
BOARD_MAX_AGE = timedelta(seconds=60)
GROUPS_SHOWN = 10  # responses whose task groups the command room details; the rest counted
OVERDUE_NAMES_SHOWN = 5  # then "and others": the count says how many
# A notice clock that still asks its unit to acknowledge: neither met nor cancelled.
UNSETTLED_NOTICE = Q(acknowledged_at__isnull=True, deadline__met_at__isnull=True,
                     deadline__cancelled_at__isnull=True)
OVERDUE_NOTICE = UNSETTLED_NOTICE & Q(deadline__overdue_at__isnull=False)
RUNNING_NOTICE = UNSETTLED_NOTICE & Q(deadline__overdue_at__isnull=True,
                                      deadline__failed_at__isnull=True)


class Row(dict):
    """A row of the board: a dict (what templates read fastest) whose keys also read as
    attributes (`row.pk`, `row.response.level`) for Python code."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def command_room(user, units=None):
    """What the command room shows this user now; `units` narrows it to what concerns
    those units (a member unit's dashboard). The county's board (county_board) is read once
    per event and language and narrowed here to what the user may see."""
    county = county_board()
    audience = Audience.of(user)
    incidents = [row for row in county.incidents if _sees(audience, row)
                 and (units is None or not county.noticed[row["pk"]].isdisjoint(units))]
    groups, groups_folded, units_pending = _task_groups(county, incidents, units)
    return {
        "seq": county.seq,
        "incidents": incidents,
        "warnings": county.warnings,
        "groups": groups,
        "groups_folded": groups_folded,
        "totals": _totals(incidents, county.warnings, units_pending),
        "on_duty": county.on_duty,
        "changes_at": county.changes_at,
    }


def _sees(audience, row):
    return (audience.everything or row["township_id"] in audience.townships
            or row["reporter_unit_id"] in audience.enterprises)


@dataclass
class CountyBoard:
    """Every incident in progress as the board shows it, most urgent first, and what the
    task-group panels need: the same for every screen at one event, whatever it narrows."""

    seq: int
    incidents: list
    noticed: dict  # incident pk → the units it noticed (any response)
    warnings: list
    chosen: dict  # running response pk → its task groups (definitions)
    acknowledged: dict  # running response pk → {unit id: acknowledged?}
    checklist: dict  # (response pk, task group pk) → {"items": n, "done": n}
    groups: dict  # task group pk → its definition (_group_definitions)
    on_duty: list  # the office's duty shifts now
    changes_at: object  # when that changes, at most BOARD_MAX_AGE after the read

    def current(self):
        return timezone.now() < self.changes_at


_boards = {}  # (seq, language) → CountyBoard, the latest few
_boards_lock = threading.Lock()
BOARDS_KEPT = 4
# Events that change nothing on the board but their own incident's row and its response's task
# groups: after them a kept board is brought up to date by reading those incidents again.
ROW_KINDS = ("incident.", "report.", "inquiry.", "response.", "notice.", "deadline.",
             "checklist.", "notify.delivery.")
REREAD_MAX = 20  # events since the kept board beyond which the board is read whole


def county_board():
    """The county's board at the latest event, read once per event and language when the
    live panels are shared (LIVE_PANELS_SHARED), concurrent readers waiting for the one
    reading it. `seq` is read first: the state is at least as new as it, so a browser that
    resumes from it misses nothing."""
    seq = latest_seq()
    if not settings.LIVE_PANELS_SHARED:
        return _read_county_board(seq)
    key = (seq, get_language())
    with _boards_lock:
        flight = _boards.get(key)
        if flight is None or not flight.current():  # a duty shift began or ended since
            flight = _boards[key] = _Flight()
            for old in sorted(_boards)[:-BOARDS_KEPT]:
                del _boards[old]
    return flight.result(lambda: _board_at(seq))


def _board_at(seq):
    """The board at event `seq`: the newest board kept (in this language, still current)
    brought up to `seq` by reading again only the incidents the events since then concern,
    when every one of them is an incident's and changes only that incident's row (ROW_KINDS);
    else, or with none kept, read whole."""
    with _boards_lock:
        kept = [flight.board for (at, language), flight in _boards.items()
                if at < seq and language == get_language() and flight.board is not None
                and flight.board.current()]
    base = max(kept, key=lambda board: board.seq, default=None)
    if base is None:
        return _read_county_board(seq)
    since = list(Event.objects.filter(seq__gt=base.seq, seq__lte=seq).values_list(
        "kind", "incident_id")[:REREAD_MAX + 1])
    touched = {incident for _kind, incident in since}
    if (len(since) > REREAD_MAX or None in touched
            or not all(kind.startswith(ROW_KINDS) for kind, _incident in since)):
        return _read_county_board(seq)
    return _reread(base, touched, seq)


def _reread(base, touched, seq):
    """`base` with the rows of the `touched` incidents read again."""
    fresh = _read_rows(touched, base.groups)
    kept = [row for row in base.incidents if row["pk"] not in touched]
    gone = {row["response"]["pk"] for row in base.incidents
            if row["pk"] in touched and row["response"]}
    incidents = sorted(kept + fresh.incidents, key=_urgency)
    noticed = {pk: units for pk, units in base.noticed.items() if pk not in touched}
    noticed.update(fresh.noticed)

    def merged(old, new, response_of=lambda key: key):
        return {**{key: value for key, value in old.items() if response_of(key) not in gone},
                **new}

    return replace(base, seq=seq, incidents=incidents, noticed=noticed,
                   chosen=merged(base.chosen, fresh.chosen),
                   acknowledged=merged(base.acknowledged, fresh.acknowledged),
                   checklist=merged(base.checklist, fresh.checklist, lambda key: key[0]))


def forget_county_boards():
    """Read the board anew at the next call (a test's database starts its events afresh)."""
    with _boards_lock:
        _boards.clear()


class _Flight:
    """One read, however many threads want it; a failed read is tried again by the next."""

    def __init__(self):
        self.lock = threading.Lock()
        self.board = None

    def current(self):
        return self.board is None or self.board.current()

    def result(self, read):
        with self.lock:
            if self.board is None:
                self.board = read()
            return self.board


def _read_county_board(seq):
    now = timezone.now()
    rows = _read_rows()
    return CountyBoard(seq, rows.incidents, rows.noticed, sorted(in_effect(), key=_warning_rank),
                       rows.chosen, rows.acknowledged, rows.checklist, rows.groups,
                       *office_on_duty(now))


@dataclass
class _Rows:
    incidents: list
    noticed: dict
    chosen: dict
    acknowledged: dict
    checklist: dict
    groups: dict


def _read_rows(pks=None, groups=None):
    """The incidents in progress (of `pks` only, if given) as the board shows them, most
    urgent first, with their responses' task groups (`groups`: the definitions, if known),
    acknowledgements and checklists."""
    incidents = _incidents(pks)
    by_pk = {row["pk"]: row for row in incidents}
    _add_responses(by_pk)
    _add_report_clocks(by_pk)
    _add_notices(by_pk)
    _add_deliveries(by_pk)
    incidents.sort(key=_urgency)
    noticed = defaultdict(set)
    acknowledged = defaultdict(dict)
    running = {row["response"]["pk"] for row in incidents
               if row["response"] and row["response"]["state"] in RUNNING_STATES}
    for incident_id, response_id, unit_id, done in Notice.objects.filter(
            response__incident__in=list(by_pk)).annotate(
            done=Q(acknowledged_at__isnull=False)).order_by().values_list(
            "response__incident_id", "response_id", "unit_id", "done"):
        noticed[incident_id].add(unit_id)
        if response_id in running:
            acknowledged[response_id][unit_id] = done
    groups = groups or _group_definitions()
    chosen = defaultdict(list)
    for response_id, group_id in Response.task_groups.through.objects.filter(
            response__in=running).values_list("response_id", "taskgroup_id"):
        chosen[response_id].append(groups[group_id])
    checklist = {(c["response_id"], c["task_group_id"]): c for c in ChecklistItem.objects.filter(
        response__in=running, task_group__isnull=False).values(
        "response_id", "task_group_id").annotate(
        items=Count("pk"), done=Count("pk", filter=Q(status=ChecklistStatus.DONE))).order_by()}
    return _Rows(incidents, {pk: frozenset(noticed[pk]) for pk in by_pk}, dict(chosen),
                 dict(acknowledged), checklist, groups)


def office_on_duty(now):
    """The office's duty shifts at `now`, and when that changes next: a shift starting or
    ending, or BOARD_MAX_AGE from now, whichever comes first (one query)."""
    horizon = now + BOARD_MAX_AGE
    shifts = list(DutyShift.objects.filter(
        unit__kind=UnitKind.OFFICE, starts_at__lte=horizon, ends_at__gt=now).select_related(
        "unit", "person").order_by("unit__order", "-is_leader", "person__name"))
    changes = [s.starts_at for s in shifts if s.starts_at > now] + [
        s.ends_at for s in shifts if s.ends_at <= horizon]
    return [s for s in shifts if s.starts_at <= now], min(changes, default=horizon)


def pending_notices(units):
    """The notices these units are still to acknowledge (their response still waits for
    them), as rows for the unit dashboard: newest first."""
    levels = _labels(ResponseLevel)
    notices = Notice.objects.filter(unit__in=units, acknowledged_at__isnull=True,
                                    deadline__cancelled_at__isnull=True).order_by("-sent_at")
    rows = []
    for notice in notices.values("pk", "response__incident_id", "response__level",
                                 "response__incident__township__short_name",
                                 "response__incident__township__name", "unit__short_name",
                                 "unit__name", "deadline__due_at", "deadline__overdue_at",
                                 "deadline__failed_at"):
        rows.append(Row(
            pk=notice["pk"], incident_id=notice["response__incident_id"],
            township=(notice["response__incident__township__short_name"]
                      or notice["response__incident__township__name"]),
            level_label=levels[notice["response__level"]],
            unit=notice["unit__short_name"] or notice["unit__name"],
            clock=Row(due_at=notice["deadline__due_at"], state=(
                "overdue" if notice["deadline__overdue_at"] else
                "failed" if notice["deadline__failed_at"] else "running"))))
    counts = delivery_counts(Delivery.objects.filter(
        message__notice__in=[row.pk for row in rows]), "message__notice_id")
    for row in rows:
        count = counts.get(row.pk)
        row["deliveries"] = Row(count) if count and count["recipients"] else None
    return rows


def _incidents(pks=None):
    grades, scenarios = _labels(Grade), _labels(Scenario)
    incidents = Incident.objects.in_progress()
    if pks is not None:
        incidents = incidents.filter(pk__in=pks)
    rows = [Row(row) for row in incidents.order_by("-reported_at").values(*INCIDENT_FIELDS)]
    for row in rows:
        short_name, name = row.pop("township__short_name"), row.pop("township__name")
        row.update(since=timezone.localtime(row["reported_at"]).isoformat(),
                   grade_label=grades[row["grade"]], scenario_label=scenarios[row["scenario"]],
                   township=short_name or name, response=None, report_clocks=[],
                   notices_total=0, notices_acknowledged=0, notice_clock=None,
                   notices_overdue=0, overdue_count=0, has_overdue=False, deliveries=None)
    return rows


def _add_responses(by_pk):
    """Each incident's open response (one at a time; the newest if ever more)."""
    levels, states = _labels(ResponseLevel), _labels(ResponseState)
    responses = Response.objects.filter(incident__in=list(by_pk), state__in=OPEN_STATES)
    for response in responses.order_by("pk").values("pk", "incident_id", "level", "state"):
        response = Row(response)
        response.update(level_label=levels[response["level"]],
                        state_label=states[response["state"]])
        by_pk[response["incident_id"]]["response"] = response


def _add_report_clocks(by_pk):
    """The written-report and inquiry clocks still asking for something, one by one."""
    clocks = Deadline.objects.unsettled().filter(incident__in=list(by_pk)).exclude(
        kind__in=[DeadlineKind.NOTICE_ACK, DeadlineKind.ESCALATION]).order_by("due_at").values(
        "incident_id", "kind", "due_at", "overdue_at", "failed_at")
    for clock in map(Row, clocks):
        row = by_pk[clock.pop("incident_id")]
        clock["state"] = ("overdue" if clock["overdue_at"] else
                          "failed" if clock["failed_at"] else "running")
        row["report_clocks"].append(clock)
        if clock["overdue_at"]:
            row["overdue_count"] += 1
            row["has_overdue"] = True


def _add_notices(by_pk):
    """The open response's notices as one line: how many were acknowledged, the next to
    fall due, and the units already overdue (names in the plan's order)."""
    notices = Notice.objects.filter(response__incident__in=list(by_pk),
                                    response__state__in=OPEN_STATES)
    counts = notices.values("response__incident_id").annotate(
        total=Count("pk"), acknowledged=Count("pk", filter=Q(acknowledged_at__isnull=False)),
        overdue=Count("pk", filter=OVERDUE_NOTICE),
        next_due=Min("deadline__due_at", filter=RUNNING_NOTICE)).order_by()
    for count in counts:
        row = by_pk[count["response__incident_id"]]
        row["notices_total"], row["notices_acknowledged"] = count["total"], count["acknowledged"]
        row["notices_overdue"] = count["overdue"]
        row["overdue_count"] += count["overdue"]
        row["has_overdue"] |= count["overdue"] > 0
        if count["next_due"]:
            row["notice_clock"] = Row(state="running", due_at=count["next_due"])
    # Only the names a line can show: the first few of each incident, in the plan's order.
    first_overdue = notices.filter(OVERDUE_NOTICE).annotate(rank=Window(
        RowNumber(), partition_by=F("response__incident_id"), order_by=F("unit__order").asc()))
    separator, and_others = pgettext("between names on the board", ", "), _("%(names)s and others")
    names = defaultdict(list)
    for incident_id, short_name, name in first_overdue.filter(
            rank__lte=OVERDUE_NAMES_SHOWN).order_by("rank").values_list(
            "response__incident_id", "unit__short_name", "unit__name"):
        names[incident_id].append(short_name or name)
    for incident_id, shown in names.items():
        row = by_pk[incident_id]
        count, line = row["notices_overdue"], separator.join(shown)
        row["overdue_units"] = ngettext(
            "%(count)s unit overdue to acknowledge", "%(count)s units overdue to acknowledge",
            count) % {"count": count}
        row["overdue_names"] = and_others % {"names": line} if count > len(shown) else line


def _add_deliveries(by_pk):
    """The open response's activation notices as delivered to, and acknowledged by, how many
    of their recipients: one grouped query for every incident."""
    counts = delivery_counts(Delivery.objects.filter(
        message__incident__in=list(by_pk), message__response__state__in=OPEN_STATES),
        "message__incident_id")
    for incident_id, count in counts.items():
        if count["recipients"]:
            by_pk[incident_id]["deliveries"] = Row(count)


def _urgency(row):
    """Overdue clocks first, then the higher response level, then the newest."""
    level = row["response"]["level"] if row["response"] else ""
    level_rank = LEVEL_ORDER.index(level) if level in LEVEL_ORDER else len(LEVEL_ORDER)
    return not row["has_overdue"], level_rank, -row["reported_at"].timestamp()


def _warning_rank(warning):
    """Highest level first, then the newest."""
    return WARNING_ORDER.index(warning.level), -warning.issued_at.timestamp()


def _totals(incidents, warnings, units_pending):
    """The wall's strip: active incidents by response level, households without heat,
    overdue clocks, units yet to acknowledge a notice, warnings in effect."""
    by_level, labels = dict.fromkeys([*LEVEL_ORDER, ""], 0), _labels(ResponseLevel)
    for row in incidents:
        response = row["response"]
        running = response and response["state"] in RUNNING_STATES
        by_level[response["level"] if running else ""] += 1
    return {
        "incidents": len(incidents),
        "by_level": [(level, labels.get(level), count)
                     for level, count in by_level.items()],
        "households": sum(row["households_affected"] for row in incidents),
        "overdue_clocks": sum(row["overdue_count"] for row in incidents),
        "units_pending": units_pending,
        "warnings": len(warnings),
    }


def _task_groups(county, incidents, units):
    """The running responses' task groups, most urgent incident first: for the first
    GROUPS_SHOWN responses each group with its units, how many of the units noticed have
    acknowledged and how many checklist items are done; how many responses more; and how
    many units have a notice still to acknowledge."""
    responses = [row["response"] for row in incidents
                 if row["response"] and row["response"]["state"] in RUNNING_STATES]
    wanted = set(units) if units is not None else None
    detailed = []
    for response in responses:
        involved = sorted((g for g in county.chosen[response["pk"]]
                           if wanted is None or wanted & g["unit_ids"]), key=lambda g: g["order"])
        if involved:
            detailed.append((response, involved))
    by_incident = {row["pk"]: row for row in incidents}
    result = []
    for response, involved in detailed[:GROUPS_SHOWN]:
        noticed = county.acknowledged[response["pk"]]
        rows = []
        for group in involved:
            members = [u for u in group["unit_ids"] if u in noticed]
            items = county.checklist.get((response["pk"], group["pk"]), {"items": 0, "done": 0})
            rows.append({"group": group, "noticed": len(members),
                         "acknowledged": sum(noticed[u] for u in members),
                         "done": items["done"], "items": items["items"]})
        result.append({"response": response, "incident": by_incident[response["incident_id"]],
                       "groups": rows})
    pending = {unit for response in responses
               for unit, done in county.acknowledged[response["pk"]].items() if not done}
    return result, max(0, len(detailed) - GROUPS_SHOWN), len(pending)


def _group_definitions():
    """The task groups of the plan with their units (lead first) as one line of names."""
    groups = {}
    for group in TaskGroup.objects.values("pk", "name", "order", "lead_unit_id",
                                          "lead_unit__short_name", "lead_unit__name"):
        lead, short_name, name = (group.pop(key) for key in (
            "lead_unit_id", "lead_unit__short_name", "lead_unit__name"))
        groups[group["pk"]] = dict(group, unit_ids=[lead], names=[short_name or name])
    for group_id, unit_id, short_name, name in TaskGroup.member_units.through.objects.order_by(
            "unit__order").values_list("taskgroup_id", "unit_id", "unit__short_name",
                                       "unit__name"):
        group = groups[group_id]
        if unit_id not in group["unit_ids"]:
            group["unit_ids"].append(unit_id)
            group["names"].append(short_name or name)
    for group in groups.values():
        group["units"] = "、".join(group.pop("names"))
        group["unit_ids"] = frozenset(group["unit_ids"])
    return groups


def _labels(choices):
    """{value: label} in the current language, translated once per read, not once per row."""
    return {value: str(label) for value, label in choices.choices}
