"""Every write of early warnings (plan §3.1–3.4): draft, submit, approve (issue) or reject,
report up, update, set channels, lift. Each checks the plan's authority for the level,
locks the warning, runs the django-fsm transition in one transaction and appends its
timeline event; issued, updated and lifted versions are kept as revisions (the CAP source)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from directory.choices import UnitKind
from directory.selectors import users_with_permission
from early_warnings import authority
from early_warnings.choices import EDITABLE_STATES, LEVEL_CHANNELS, Channel, WarningState
from early_warnings.models import EarlyWarning, WarningRevision
from timeline.services import append_event
from zezhou_heat.dates import check_moments
from zezhou_heat.errors import StateConflict
from zezhou_heat.fsm import check_transition

DRAFT_FIELDS = ["incident", "category", "level", "places", "starts_at", "ends_at", "impact",
                "watch_for", "measures", "issuing_body", "source", "is_drill"]


@transaction.atomic
def warning_draft_saved(*, actor, warning=None, townships=(), **fields):
    """Create or edit a draft; incomplete drafts are fine, submitting needs every element."""
    if not actor.has_perm(authority.DRAFT):
        raise PermissionDenied(authority.who_may_draft())
    if warning is None:
        warning = EarlyWarning(drafted_by=actor)
    else:
        warning = _locked(warning)
        if warning.state not in EDITABLE_STATES:
            raise StateConflict(_("Only a draft or a rejected warning can be edited."))
    for name in DRAFT_FIELDS:
        if name in fields:
            setattr(warning, name, fields[name])
    _check_period(warning.starts_at, warning.ends_at)
    _check_townships(townships)
    warning.full_clean(exclude=["state", "townships"])
    created = warning.pk is None
    warning.save()
    warning.townships.set(townships)
    append_event(actor=actor, kind="warning.drafted" if created else "warning.draft_edited",
                 subject=warning, incident=warning.incident,
                 new={"level": warning.level, "category": warning.category})
    return warning


@transaction.atomic
def warning_drafted_and_submitted(*, actor, warning=None, townships=(), **fields):
    """Save the draft and submit it, as one step (the draft page's "save and submit", the
    API's create with `submit`): when submitting is refused, nothing of the draft is saved."""
    warning = warning_draft_saved(actor=actor, warning=warning, townships=townships, **fields)
    return warning_submitted(actor=actor, warning=warning)


def _check_townships(townships):
    if any(unit.kind != UnitKind.TOWNSHIP for unit in townships):
        raise ValidationError({"townships": _("Only townships of Zezhou County can be named.")})


def _check_period(starts_at, ends_at):
    check_moments(planned={"starts_at": starts_at, "ends_at": ends_at})
    if starts_at and ends_at and ends_at <= starts_at:
        raise ValidationError({"ends_at": _("The warning period must end after it starts.")})


@transaction.atomic
def warning_submitted(*, actor, warning):
    warning = _locked(warning)
    missing = warning.missing_elements()
    if missing and warning.state in EDITABLE_STATES:
        raise ValidationError({name: _("Required before the warning can be submitted.")
                               for name in missing})
    check_transition(warning.submit, actor, state_label=warning.get_state_display())
    warning.submit()
    warning.submitted_at = timezone.now()
    warning.save()
    append_event(actor=actor, kind="warning.submitted", subject=warning,
                 incident=warning.incident, new={"level": warning.level},
                 notify=_approvers(warning.level))
    return warning


@transaction.atomic
def warning_approved(*, actor, warning, note=""):
    """Approved and issued: the level's channels are preselected."""
    warning = _locked(warning)
    check_transition(warning.approve, actor, state_label=warning.get_state_display(),
                     state_message=authority.decision(warning))
    warning.approve()
    now = timezone.now()
    warning.approved_by, warning.issued_at, warning.decision_note = actor, now, note
    warning.issued_rank = authority.rank(actor)
    warning.channels = warning.channels or list(LEVEL_CHANNELS[warning.level])
    _revise(warning, actor, "Alert", now, note)
    append_event(actor=actor, kind="warning.issued", subject=warning, incident=warning.incident,
                 new={"level": warning.level, "channels": warning.channels,
                      "version": warning.version})
    return warning


@transaction.atomic
def warning_rejected(*, actor, warning, note=""):
    warning = _locked(warning)
    check_transition(warning.reject, actor, state_label=warning.get_state_display(),
                     state_message=authority.decision(warning))
    warning.reject()
    warning.decision_note = note
    warning.save()
    append_event(actor=actor, kind="warning.rejected", subject=warning,
                 incident=warning.incident, new={"note": note})
    return warning


@transaction.atomic
def warning_reported_up(*, actor, warning, to, at):
    """重大以上 beyond the county's authority: reported to the upper government (to whom,
    when), which issues it; the county does not."""
    warning = _locked(warning)
    check_transition(warning.report_up, actor, state_label=warning.get_state_display())
    if not to.strip():
        raise ValidationError({"to": _("Say to whom it was reported.")})
    check_moments(happened={"at": at})
    warning.report_up()
    warning.reported_to, warning.reported_at = to.strip(), at
    warning.save()
    append_event(actor=actor, kind="warning.reported_up", subject=warning,
                 incident=warning.incident, new={"to": to})
    return warning


@transaction.atomic
def warning_updated(*, actor, warning, level, townships, places, note=""):
    """Level raised or lowered, or area changed, with the authority of the higher level."""
    warning = _locked(warning)
    warning.target_level = level
    check_transition(warning.update, actor, state_label=warning.get_state_display())
    if not townships:
        raise ValidationError({"townships": _("Name at least one township.")})
    _check_townships(townships)
    old = {"level": warning.level, "area": _area(warning), "places": warning.places}
    warning.update()
    if level != warning.level:
        warning.channels = list(LEVEL_CHANNELS[level])
    warning.level, warning.places = level, places
    warning.save()
    warning.townships.set(townships)
    _revise(warning, actor, "Update", timezone.now(), note)
    append_event(actor=actor, kind="warning.updated", subject=warning, incident=warning.incident,
                 old=old, new={"level": level, "area": _area(warning), "places": places,
                               "version": warning.version})
    return warning


@transaction.atomic
def warning_channels_set(*, actor, warning, channels):
    warning = _locked(warning)
    if not actor.has_perm(authority.DRAFT):
        raise PermissionDenied(authority.who_may_draft())
    if warning.state != WarningState.ISSUED:
        raise StateConflict(_("Channels are chosen for a warning in effect."))
    unknown = set(channels) - set(Channel.values)
    if unknown:
        raise ValidationError({"channels": _("Unknown channel.")})
    old = list(warning.channels)
    warning.channels = list(channels)
    warning.save()
    append_event(actor=actor, kind="warning.channels", subject=warning,
                 incident=warning.incident, old={"channels": old}, new={"channels": channels})
    return warning


@transaction.atomic
def warning_lifted(*, actor, warning, reason):
    """谁发布、谁解除: lifted by the authority that issued it, with the reason; its measures
    end with it."""
    warning = _locked(warning)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the warning is lifted.")})
    check_transition(warning.lift, actor, state_label=warning.get_state_display())
    warning.lift()
    now = timezone.now()
    warning.lifted_by, warning.lifted_at, warning.lift_reason = actor, now, reason.strip()
    _revise(warning, actor, "Cancel", now, reason)
    append_event(actor=actor, kind="warning.lifted", subject=warning, incident=warning.incident,
                 new={"reason": reason, "version": warning.version})
    return warning


def _locked(warning):
    return EarlyWarning.objects.select_for_update(of=("self",)).get(pk=warning.pk)


def _area(warning):
    return sorted(warning.townships.values_list("short_name", flat=True))


def _revise(warning, actor, msg_type, sent_at, note):
    warning.version += 1
    warning.save()
    WarningRevision.objects.create(
        warning=warning, version=warning.version, msg_type=msg_type, sent_at=sent_at,
        level=warning.level, area=_area(warning), places=warning.places, changed_by=actor,
        note=note)


def _approvers(level):
    return users_with_permission(authority.LEVEL_PERMISSION[level])
