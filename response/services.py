"""Every write of the response feature (plan §4.3–4.5, §4.10). Each step checks the plan's
authority for the level, locks the response, runs the django-fsm transition, saves in one
transaction and appends its timeline event; clocks are scheduled only after commit."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from directory.choices import PositionCode
from directory.models import TaskGroup
from directory.selectors import held_units, users_with_permission
from incidents import clocks
from incidents.choices import DeadlineKind, IncidentStatus, ResponseLevel
from incidents.grading import suggest_response_level
from incidents.models import Deadline, Incident
from incidents.services import incident_status_followed
from response import authority
from response.choices import (
    CONDITIONS,
    OPEN_STATES,
    RUNNING_STATES,
    ChecklistStatus,
    ResponseState,
    StartMode,
)
from response.models import ChecklistItem, LevelChange, Notice, PlaybookItem, Response
from response.plan_data import level_measures
from timeline.services import append_event
from zezhou_heat.dates import check_moments
from zezhou_heat.errors import StateConflict
from zezhou_heat.fsm import check_transition

CONDITION_KEYS = [key for key, _label in CONDITIONS]


# --- proposal and start ---------------------------------------------------------------------


@transaction.atomic
def response_proposed(*, actor, incident, level, reason="", task_groups=()):
    """The office proposes a level (§4.3 启动程序), with the reason when it departs from the
    suggestion; the chosen task groups (all eight for Level Ⅰ) start on approval."""
    if not actor.has_perm(authority.PROPOSE):
        raise PermissionDenied(authority.who_may_propose())
    response = _new_response(actor, incident, level, reason, task_groups)
    response.proposed_by, response.proposed_at = actor, timezone.now()
    response.save()
    response.task_groups.set(_groups_for(level, incident, task_groups))
    append_event(actor=actor, kind="response.proposed", subject=response, incident=incident,
                 new={"level": level, "suggested": response.suggested_level, "reason": reason},
                 notify=users_with_permission(authority.LEVEL_PERMISSION[level]))
    return response


@transaction.atomic
def response_started_directly(*, actor, incident, level, reason="", task_groups=()):
    """Started without a proposal: by the commander (or deputy) when the headquarters decides
    (§4.3 "县指挥部认为应当启动"), or Level Ⅲ by the office director, who informs the leaders."""
    if not authority.may_start(actor, level):
        raise PermissionDenied(authority.who_may_start(level))
    response = _new_response(actor, incident, level, reason, task_groups,
                             state=ResponseState.ACTIVE)
    response.save()
    response.task_groups.set(_groups_for(level, incident, task_groups))
    _activate(actor, response, StartMode.DIRECT)
    return response


def _new_response(actor, incident, level, reason, task_groups, state=ResponseState.PROPOSED):
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.status == IncidentStatus.CLOSED:
        raise StateConflict(_("The incident is closed."))
    if incident.reporting_closed:
        raise StateConflict(_("The final report has been filed: handling is over, no response "
                              "starts after it."))
    if incident.responses.filter(state__in=OPEN_STATES).exists():
        raise StateConflict(_("A response to this incident is already proposed or active: "
                              "change its level instead."))
    suggestion = suggest_response_level(
        grade=incident.grade, deaths=incident.deaths, serious_injuries=incident.serious_injuries,
        beyond_township_capacity=incident.beyond_township_capacity)
    if level not in ResponseLevel.values:
        raise ValidationError({"level": _("Choose Level Ⅰ, Ⅱ or Ⅲ.")})
    if level != suggestion.level and not reason.strip():
        raise ValidationError({"reason": _("Say why a level other than the suggested one "
                                           "(%(level)s) is chosen.") % {
            "level": suggestion.level.label}})
    return Response(incident=incident, level=level, state=state, reason=reason.strip(),
                    suggested_level=suggestion.level)


def refuse_final_report_while_open(sender, incident, **kwargs):
    """The receiver of incidents.signals.final_report_filing: the final report follows the
    end of the response (§4.1), so not while one is proposed or active."""
    if incident.responses.filter(state__in=OPEN_STATES).exists():
        raise StateConflict(_("A response to this incident is proposed or active: the final "
                              "report follows its end (plan §4.1, §4.10). Decide the proposal "
                              "or end the response first."))


def _groups_for(level, incident, chosen):
    """All eight for Level Ⅰ; else the office's choice, by default the groups that own the
    scenario's on-site measures plus the coordination group."""
    if level == ResponseLevel.LEVEL_I:
        return list(TaskGroup.objects.all())
    if chosen:
        return list(chosen)
    return default_groups(incident.scenario)


def default_groups(scenario):
    owners = PlaybookItem.objects.filter(scenario=scenario).values("task_group")
    return list(TaskGroup.objects.filter(pk__in=owners) | TaskGroup.objects.filter(
        code="coordination"))


@transaction.atomic
def response_approved(*, actor, response, note=""):
    response = _locked(response)
    check_transition(response.approve, actor, state_label=response.get_state_display(),
                     state_message=authority.decision(response))
    response.approve()
    response.decided_note = note
    _activate(actor, response, StartMode.APPROVED)
    return response


@transaction.atomic
def response_rejected(*, actor, response, note=""):
    response = _locked(response)
    check_transition(response.reject, actor, state_label=response.get_state_display(),
                     state_message=authority.decision(response))
    response.reject()
    response.rejected_by, response.rejected_at, response.decided_note = (
        actor, timezone.now(), note)
    response.save()
    append_event(actor=actor, kind="response.rejected", subject=response,
                 incident=response.incident, new={"level": response.level, "note": note})
    return response


def _locked(response):
    return Response.objects.select_for_update(of=("self",)).select_related("incident").get(
        pk=response.pk)


def _activate(actor, response, mode):
    """The response is on: who started it and with what authority, the level's measures
    and the groups' playbook items as a checklist, a notice to every unit of the groups, and
    the incident moves to "responding"."""
    now = timezone.now()
    response.start_mode, response.started_by, response.started_at = mode, actor, now
    response.started_rank = authority.rank(actor)
    response.save()
    LevelChange.objects.create(response=response, to_level=response.level, changed_by=actor,
                               reason=response.reason)
    _add_measures(response, response.level)
    groups = list(response.task_groups.all())
    _add_playbook_items(response, groups)
    notices = _send_notices(response, groups, now)
    # Before the response's own event: the incident is locked before the timeline, as a
    # report filed on it locks them, so the two never wait on each other.
    incident = incident_status_followed(actor=actor, incident=response.incident,
                                        transition="begin_response")
    response.incident = incident
    leaders = (users_with_permission(authority.LEVEL_PERMISSION[ResponseLevel.LEVEL_II])
               if response.level == ResponseLevel.LEVEL_III else [])
    append_event(actor=actor, kind="response.started", subject=response, incident=incident,
                 new={"level": response.level, "mode": mode, "rank": response.started_rank,
                      "task_groups": [g.name for g in groups],
                      "units": [n.unit.short_name for n in notices]},
                 notify=leaders)


def _add_measures(response, level):
    ChecklistItem.objects.bulk_create(
        ChecklistItem(response=response, text=text, is_measure=True, order=order)
        for order, text in enumerate(level_measures(level), start=1))


def _add_playbook_items(response, groups):
    have = set(response.checklist.filter(is_measure=False).values_list("text", flat=True))
    items = PlaybookItem.objects.filter(scenario=response.incident.scenario,
                                        task_group__in=groups)
    ChecklistItem.objects.bulk_create(
        ChecklistItem(response=response, task_group=item.task_group, text=item.text,
                      order=item.order)
        for item in items if item.text not in have)


def _send_notices(response, groups, now):
    by_unit = {}
    for group in groups:
        for unit in [group.lead_unit, *group.member_units.all()]:
            by_unit.setdefault(unit, set()).add(group)
    notices = []
    for unit, unit_groups in by_unit.items():
        if response.notices.filter(unit=unit).exists():
            continue
        deadline = clocks.start_clock(response.incident, DeadlineKind.NOTICE_ACK, now,
                                       unit=unit)
        notice = Notice.objects.create(response=response, unit=unit, deadline=deadline,
                                       sent_at=now)
        notice.task_groups.set(unit_groups)
        clocks.schedule_fast_path(deadline)
        notices.append(notice)
    return notices


# --- while active ---------------------------------------------------------------------------


@transaction.atomic
def response_level_changed(*, actor, response, level, reason):
    """Up or down, with the authority of the higher level; the history is kept. Raising to
    Level Ⅰ starts all eight groups."""
    response = _locked(response)
    if level == response.level:
        raise ValidationError({"level": _("The response is already at this level.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the level changes.")})
    response.target_level = level
    check_transition(response.change_level, actor, state_label=response.get_state_display())
    old = response.level
    response.change_level()
    response.level = level
    response.save()
    LevelChange.objects.create(response=response, from_level=old, to_level=level,
                               changed_by=actor, reason=reason.strip())
    _add_measures(response, level)
    if level == ResponseLevel.LEVEL_I:
        response.task_groups.set(TaskGroup.objects.all())
        groups = list(response.task_groups.all())
        _add_playbook_items(response, groups)
        _send_notices(response, groups, timezone.now())
    append_event(actor=actor, kind="response.level_changed", subject=response,
                 incident=response.incident, old={"level": old},
                 new={"level": level, "reason": reason})
    return response


def _check_record(actor, response):
    if not actor.has_perm(authority.RECORD):
        raise PermissionDenied(authority.who_may_record())
    if response.state not in RUNNING_STATES:
        raise StateConflict(_("Not possible while it is “%(state)s”.") % {
            "state": response.get_state_display()})


@transaction.atomic
def site_headquarters_recorded(*, actor, response, leader, place, set_up_at):
    response = _locked(response)
    _check_record(actor, response)
    check_moments(happened={"set_up_at": set_up_at})
    response.site_hq_leader, response.site_hq_place, response.site_hq_at = (
        leader, place, set_up_at)
    response.save()
    append_event(actor=actor, kind="response.site_headquarters", subject=response,
                 incident=response.incident,
                 new={"leader": leader, "place": place,
                      "at": timezone.localtime(set_up_at).strftime("%Y-%m-%d %H:%M")})
    return response


@transaction.atomic
def condition_confirmed(*, actor, response, condition):
    """One of the four conditions of §4.10, confirmed by whom and when."""
    response = _locked(response)
    _check_record(actor, response)
    if condition not in CONDITION_KEYS:
        raise ValidationError({"condition": _("Unknown condition.")})
    if response.conditions.get(condition):
        raise StateConflict(_("This condition is already confirmed."))
    response.conditions[condition] = {"by": actor.get_username(),
                                      "at": timezone.now().isoformat()}
    response.save()
    append_event(actor=actor, kind="response.condition_confirmed", subject=response,
                 incident=response.incident, new={"condition": condition})
    return response


@transaction.atomic
def response_handed_over(*, actor, response, to, at):
    response = _locked(response)
    check_transition(response.hand_over, actor, state_label=response.get_state_display())
    if not to.strip():
        raise ValidationError({"to": _("Say to whom command was handed over.")})
    check_moments(happened={"at": at})
    response.hand_over()
    response.handed_over_to, response.handed_over_at = to.strip(), at
    response.save()
    _settle_notices(response)
    append_event(actor=actor, kind="response.handed_over", subject=response,
                 incident=response.incident, new={"to": to})
    return response


@transaction.atomic
def response_ended(*, actor, response):
    """§4.10: the four conditions confirmed, ended by the authority that started it."""
    response = _locked(response)
    missing = [str(label) for key, label in CONDITIONS if not response.conditions.get(key)]
    check_transition(response.end, actor, state_label=response.get_state_display(),
                     unmet_message=_("Confirm first: %(conditions)s.") % {
                         "conditions": "；".join(missing)})
    response.end()
    response.ended_by, response.ended_at = actor, timezone.now()
    response.save()
    _settle_notices(response)
    incident = incident_status_followed(actor=actor, incident=response.incident,
                                        transition="bring_under_control")
    response.incident = incident
    append_event(actor=actor, kind="response.ended", subject=response, incident=incident,
                 new={"level": response.level})
    return response


def _settle_notices(response):
    """Ended or handed over: the county no longer waits for its units' acknowledgements, so
    the notice clocks not yet met stop (no reminder, no overdue alert, nothing to
    acknowledge). A notice already overdue keeps that mark in its history."""
    clocks.settle(Deadline.objects.filter(notice__response=response), timezone.now())


# --- member units --------------------------------------------------------------------------


@transaction.atomic
def notice_acknowledged(*, actor, notice, via=""):
    """确认收到: by a liaison of the unit the notice is addressed to; `via` says how when it was
    not the button of a signed-in page: "link" (the one-tap link in a message, notify.ack_links)
    or "reply" (an SMS reply with the link's code)."""
    # The clock is locked too: a response ending meanwhile settles it either before (then
    # this refuses) or after (then it finds the clock met and leaves it).
    notice = Notice.objects.select_for_update(of=("self", "deadline")).select_related(
        "deadline", "response__incident", "unit").get(pk=notice.pk)
    if notice.unit_id not in held_units(actor, PositionCode.UNIT_LIAISON):
        raise PermissionDenied(_("Only a liaison of %(unit)s acknowledges this notice.") % {
            "unit": notice.unit})
    if notice.acknowledged_at:
        raise StateConflict(_("Already acknowledged at %(time)s.") % {
            "time": timezone.localtime(notice.acknowledged_at).strftime("%H:%M")})
    if notice.deadline.cancelled_at:
        raise StateConflict(_("No acknowledgement is needed any more: the response is “%(state)s”.") % {
            "state": notice.response.get_state_display()})
    now = timezone.now()
    notice.acknowledged_at, notice.acknowledged_by = now, actor
    notice.save()
    clocks.meet(notice.deadline, now)
    append_event(actor=actor, kind="notice.acknowledged", subject=notice,
                 incident=notice.response.incident,
                 new={"unit": notice.unit.short_name, "on_time": now <= notice.deadline.due_at,
                      **({"via": via} if via else {})})
    return notice


@transaction.atomic
def checklist_item_updated(*, actor, item, status, note=""):
    """A liaison of a unit in the item's task group (or the headquarters) marks it."""
    item = ChecklistItem.objects.select_for_update(of=("self",)).select_related(
        "response__incident", "task_group").get(pk=item.pk)
    if not _may_work_on(actor, item):
        raise PermissionDenied(_("This item belongs to a task group your unit is not in."))
    if item.response.state not in RUNNING_STATES:
        raise StateConflict(_("The response is not active."))
    if status not in ChecklistStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    old = {"status": item.status, "note": item.note}
    item.status, item.note = status, note.strip()
    item.updated_by, item.updated_at = actor, timezone.now()
    item.save()
    append_event(actor=actor, kind="checklist.updated", subject=item,
                 incident=item.response.incident, old=old,
                 new={"status": status, "note": item.note})
    return item


def _may_work_on(actor, item):
    if actor.has_perm(authority.RECORD):
        return True
    if item.task_group is None:
        return False
    units = held_units(actor, PositionCode.UNIT_LIAISON)
    group = item.task_group
    return group.lead_unit_id in units or group.member_units.filter(pk__in=units).exists()

