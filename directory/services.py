"""Every write to the directory and the duty roster. Pages, the API, the admin and the
management commands all come through here: authority is checked, the change is saved
inside a transaction and lands on the timeline with its old and new values."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from directory.choices import PositionCode
from directory.models import DutyShift, Person, PositionHolding
from timeline.kinds import change_prefix
from timeline.services import append_event
from zezhou_heat.dates import check_moments
from zezhou_heat.permissions import MANAGE_DIRECTORY

SYSTEM = None  # the actor of management commands
UNIT_SCOPED = {PositionCode.UNIT_LIAISON, PositionCode.TOWNSHIP_OFFICER,
               PositionCode.ENTERPRISE_REPORTER}


def check_may_manage(actor):
    if actor is SYSTEM:
        return
    if not actor.has_perm(MANAGE_DIRECTORY):
        raise PermissionDenied(_("Only administrators and the office director may edit the "
                                 "directory and the duty roster."))


def field_values(instance):
    """The instance's concrete field values, as JSON-friendly display values."""
    values = {}
    for field in instance._meta.concrete_fields:
        if field.primary_key:
            continue
        value = getattr(instance, field.attname)
        if field.is_relation and value is not None:
            value = str(getattr(instance, field.name))
        values[field.name] = value
    return values


def _changes(before, after):
    changed = [name for name in after if before.get(name) != after[name]]
    return {n: before.get(n) for n in changed}, {n: after[n] for n in changed}


def saved_with_event(*, actor, instance, kind):
    """Validate and save one directory object; append `<kind>.created|updated` if anything
    changed. Returns True when something was written."""
    instance.full_clean()
    before = {}
    if instance.pk is not None:
        before = field_values(type(instance).objects.get(pk=instance.pk))
    created = instance.pk is None
    after = field_values(instance)
    old, new = _changes(before, after)
    if not created and not new:
        return False
    instance.save()
    append_event(
        actor=actor,
        kind=f"{kind}.{'created' if created else 'updated'}",
        subject=instance,
        old=None if created else old,
        new=new,
    )
    return True


def deleted_with_event(*, actor, instance, kind):
    append_event(actor=actor, kind=f"{kind}.deleted", subject=instance,
                 old=field_values(instance), new=None)
    instance.delete()


def related_set_with_event(*, actor, instance, field_name, objects, kind, label=str):
    """Replace a many-to-many set; append `<kind>.updated` with the before/after lists."""
    manager = getattr(instance, field_name)
    before = sorted({label(o) for o in manager.all()})
    after = sorted({label(o) for o in objects})
    if before == after:
        return False
    manager.set(objects)
    append_event(actor=actor, kind=f"{kind}.updated", subject=instance,
                 old={field_name: before}, new={field_name: after})
    return True


# --- actions ------------------------------------------------------------------------------


@transaction.atomic
def directory_object_saved(*, actor, instance):
    check_may_manage(actor)
    return saved_with_event(actor=actor, instance=instance, kind=_kind_of(instance))


@transaction.atomic
def directory_object_deleted(*, actor, instance):
    check_may_manage(actor)
    deleted_with_event(actor=actor, instance=instance, kind=_kind_of(instance))


@transaction.atomic
def person_saved(*, actor, person, positions=None):
    """Create or update a person and, when `positions` is given, set the positions held."""
    check_may_manage(actor)
    saved_with_event(actor=actor, instance=person, kind="directory.person")
    if positions is not None:
        _set_holdings(actor=actor, person=person, positions=positions)
    return person


def holdings_for(unit, positions):
    """(position, unit) pairs: a liaison, township officer or enterprise reporter holds the
    position for their own unit; the other positions are county-wide."""
    return [(p, unit if p.code in UNIT_SCOPED else None) for p in positions]


def _set_holdings(*, actor, person, positions):
    wanted = {(p.pk, u.pk if u else None): (p, u) for p, u in holdings_for(person.unit, positions)}
    current = {(h.position_id, h.unit_id): h for h in person.holdings.all()}
    for key, holding in current.items():
        if key not in wanted:
            deleted_with_event(actor=actor, instance=holding, kind="directory.holding")
    for key, (position, unit) in wanted.items():
        if key not in current:
            holding = PositionHolding(person=person, position=position, unit=unit)
            saved_with_event(actor=actor, instance=holding, kind="directory.holding")


@transaction.atomic
def shift_scheduled(*, actor, unit, person, starts_at, ends_at, is_leader=False, note=""):
    check_may_manage(actor)
    check_moments(planned={"starts_at": starts_at, "ends_at": ends_at})
    shift = DutyShift(unit=unit, person=person, starts_at=starts_at, ends_at=ends_at,
                      is_leader=is_leader, note=note)
    saved_with_event(actor=actor, instance=shift, kind="directory.shift")
    return shift


@transaction.atomic
def people_imported(*, actor, rows):
    """Apply a validated import (directory.importing.ImportRow list) all at once."""
    check_may_manage(actor)
    people = []
    for row in rows:
        person = row.existing or Person()
        for name, value in row.person_fields.items():
            setattr(person, name, value)
        saved_with_event(actor=actor, instance=person, kind="directory.person")
        if row.positions is not None:
            _set_holdings(actor=actor, person=person, positions=row.positions)
        people.append(person)
    return people


def _kind_of(instance):
    """The prefix of the model's change kinds as declared in timeline/kinds.py (a shift is
    `directory.shift` whether the roster page or the admin writes it)."""
    return change_prefix(instance._meta.label_lower)


@transaction.atomic
def login_locked_out(*, username, ip_address):
    """django-axes locked a user name at an address for the cool-off period."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username).first()
    subject_ref = ("auth.user", str(user.pk) if user else "", username or "")
    append_event(actor=SYSTEM, kind="auth.locked_out", subject_ref=subject_ref,
                 new={"username": username, "ip_address": ip_address})


@transaction.atomic
def directory_related_set(*, actor, instance, field_name, objects):
    check_may_manage(actor)
    return related_set_with_event(actor=actor, instance=instance, field_name=field_name,
                                  objects=objects, kind=_kind_of(instance))
