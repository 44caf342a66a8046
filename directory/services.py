"""Every write to the directory and the duty roster. Pages, the API, the admin and the
management commands all come through here: authority is checked, the change is saved
inside a transaction and lands on the timeline with its old and new values."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import devices_for_user
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from directory import geography, two_factor
from directory.choices import PositionCode
from directory.models import CountyMap, DutyShift, Person, PositionHolding, Unit
from timeline.kinds import change_prefix
from timeline.services import append_event
from zezhou_heat.dates import check_moments
from zezhou_heat.permissions import (
    ADD_ACCOUNTS,
    MANAGE_ACCOUNTS,
    MANAGE_COUNTY_MAP,
    MANAGE_DIRECTORY,
)

SYSTEM = None  # the actor of management commands
UNIT_SCOPED = {PositionCode.UNIT_LIAISON, PositionCode.TOWNSHIP_OFFICER,
               PositionCode.ENTERPRISE_REPORTER}
LEADERSHIP = {PositionCode.COMMANDER, PositionCode.DEPUTY_COMMANDER,
              PositionCode.OFFICE_DIRECTOR}
# Positions that decide who else holds authority: assigned only by someone who holds no
# leadership position (an administrator), and never on one's own directory entry.
GUARDED = LEADERSHIP | {PositionCode.ADMINISTRATOR}
# The flags that make an account more than its positions: only a superuser sets them.
ACCOUNT_FLAGS = ("is_staff", "is_superuser")
ACCOUNT_FIELDS = ("username", "first_name", "last_name", "email", "is_active", *ACCOUNT_FLAGS)


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


def holds_leadership(user):
    return user is not None and user.pk is not None and PositionHolding.objects.filter(
        person__user=user, position__code__in=LEADERSHIP).exists()


def check_may_assign(actor, position, user_ids):
    """May `actor` give or take `position` to or from the accounts `user_ids` (the accounts of
    the directory entries concerned)? A guarded position is never assigned on one's own entry,
    nor by a holder of a leadership position (so the office director cannot make himself, or
    anyone, commander); the administrator assigns them, on the timeline."""
    if actor is SYSTEM or actor.is_superuser or position.code not in GUARDED:
        return
    if actor.pk in user_ids:
        raise PermissionDenied(_("Nobody grants or removes the position %(position)s on their "
                                 "own directory entry.") % {"position": position})
    if holds_leadership(actor):
        raise PermissionDenied(_("The position %(position)s is assigned by an administrator, "
                                 "not by the holder of a leadership position.")
                               % {"position": position})


def _check_authority_change(actor, instance, previous):
    """Whatever the path (page, API, admin, import), a change that gives or takes a guarded
    position: a holding made, moved or deleted, or a holder's entry linked to another account."""
    if actor is SYSTEM:
        return
    if isinstance(instance, PositionHolding):
        changes = [instance] if previous is None else (
            [instance, previous] if (previous.position_id, previous.person_id)
            != (instance.position_id, instance.person_id) else [])
        for holding in changes:
            check_may_assign(actor, holding.position, {holding.person.user_id} - {None})
    elif isinstance(instance, Person) and instance.pk is not None:
        before_user = previous.user_id if previous is not None else instance.user_id
        if previous is not None and before_user == instance.user_id:
            return
        for holding in instance.holdings.select_related("position"):
            if (previous is not None and holding.position.code in LEADERSHIP
                    and not actor.is_superuser):
                # Whoever knows the new account's password would sign in as the leader.
                raise PermissionDenied(_("Only a superuser links another account to the "
                                         "directory entry of %(position)s.")
                                       % {"position": holding.position})
            check_may_assign(actor, holding.position, {before_user, instance.user_id} - {None})


def saved_with_event(*, actor, instance, kind):
    """Validate and save one directory object; append `<kind>.created|updated` if anything
    changed. Returns True when something was written."""
    instance.full_clean()
    before = {}
    previous = None
    if instance.pk is not None:
        previous = type(instance).objects.get(pk=instance.pk)
        before = field_values(previous)
    _check_authority_change(actor, instance, previous)
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
    if isinstance(instance, Person):
        instance = Person.objects.get(pk=instance.pk)  # the entry as stored, not as edited
        _check_authority_change(actor, instance, None)  # its holdings go with it
    elif isinstance(instance, PositionHolding):
        _check_authority_change(actor, instance, None)
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


@transaction.atomic
def leader_in_charge_set(*, actor, unit, person):
    """A unit's leader in charge (分管领导), or None: whom its unacknowledged notices go to
    next (notify.escalation)."""
    check_may_manage(actor)
    unit.leader_in_charge = person
    saved_with_event(actor=actor, instance=unit, kind="directory.unit")
    return unit


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


# --- accounts -----------------------------------------------------------------------------
# The administrator keeps the accounts (the Django admin calls these): nobody below a
# superuser sets the superuser or staff flags, or changes a superuser's, another
# administrator's or a leader's account (their passwords included); every change is on the
# timeline, never a password or its hash.


def account_refusal(actor, account):
    """Why `actor` may not change the existing `account`, or None when they may."""
    if actor is SYSTEM or actor.is_superuser:
        return None
    if not actor.has_perm(MANAGE_ACCOUNTS):
        return _("Only administrators keep the accounts.")
    if account.is_superuser:
        return _("Only a superuser changes a superuser's account.")
    if account.is_staff and account.pk != actor.pk:
        return _("Only a superuser changes another administrator's account.")
    if holds_leadership(account):
        return _("Only a superuser changes the account of a commander, deputy commander or "
                 "office director (their password included).")
    return None


def _check_may_change_account(actor, account):
    if (refusal := account_refusal(actor, account)) is not None:
        raise PermissionDenied(refusal)


def _account_ref(account):
    return ("auth.user", str(account.pk), account.get_username())


@transaction.atomic
def account_saved(*, actor, account):
    """Create or change an account (its password, if new, already set on `account`): refused
    for the superuser and staff flags unless the actor is a superuser. Appends
    `auth.account.created` or `auth.account.updated` with the changed fields."""
    created = account.pk is None
    if created:
        if actor is not SYSTEM and not actor.has_perm(ADD_ACCOUNTS):
            raise PermissionDenied(_("Only administrators keep the accounts."))
        before = {}
    else:
        stored = type(account).objects.select_for_update().get(pk=account.pk)
        _check_may_change_account(actor, stored)
        before = {name: getattr(stored, name) for name in ACCOUNT_FIELDS}
    after = {name: getattr(account, name) for name in ACCOUNT_FIELDS}
    old, new = _changes(before, after)
    if created:
        new = {name: value for name, value in new.items()
               if value or name == "username" or name == "is_active"}
    flags = [name for name in ACCOUNT_FLAGS if name in new and (new[name] or not created)]
    if flags and actor is not SYSTEM and not actor.is_superuser:
        raise PermissionDenied(_("Only a superuser grants or removes %(flags)s.")
                               % {"flags": "、".join(str(type(account)._meta.get_field(name).verbose_name)
                                               for name in flags)})
    if not created and not new:
        return False
    account.save()
    append_event(actor=actor, kind="auth.account.created" if created else "auth.account.updated",
                 subject_ref=_account_ref(account), old=None if created else old, new=new)
    return True


@transaction.atomic
def password_reset(*, actor, account, password):
    """Set `account`'s password (None: password sign-in disabled). The same rules as any
    change of the account; on the timeline, and the account's owner is told."""
    stored = type(account).objects.select_for_update().get(pk=account.pk)
    _check_may_change_account(actor, stored)
    if password is None:
        account.set_unusable_password()
    else:
        account.set_password(password)
    account.save(update_fields=["password"])
    append_event(actor=actor, kind="auth.password_reset", subject_ref=_account_ref(account),
                 new={"username": account.get_username(), "usable": password is not None,
                      "leadership": holds_leadership(account)},
                 notify=[] if actor is not SYSTEM and actor.pk == account.pk else [account])
    return account


# --- two-factor sign-in ------------------------------------------------------------------
# Enrolment by the person themselves (after their password); a lost device is reset by an
# administrator, never for themselves. Both are on the timeline, never a secret or a code.


@transaction.atomic
def two_factor_enrolled(*, actor, key, code):
    """Confirm an authenticator app for `actor` with a code it shows for `key` (the secret the
    enrolment page gave it), and issue RECOVERY_CODES recovery codes. Returns the TOTP device
    and the codes (shown once: only the devices keep them). Refused when `actor` already has
    a confirmed device (a lost one is reset by an administrator first)."""
    get_user_model().objects.select_for_update().get(pk=actor.pk)  # one enrolment at a time
    if two_factor.totp_device(actor) is not None:
        raise ValidationError(_("This account already has an authenticator app. If it is "
                                "lost, an administrator resets it."))
    device = two_factor.enrolment_device(actor, key)
    device.full_clean(exclude=["user"])
    typed = two_factor.normalised(code)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits)
    if not (two_factor.is_totp_shape(typed)
            and totp.verify(int(typed), tolerance=device.tolerance)):
        raise ValidationError({"code": _("The code is wrong or has expired: enter the 6 digits "
                                         "the app shows now.")})
    for model in (TOTPDevice, StaticDevice):  # leftovers of an earlier, unfinished enrolment
        model.objects.filter(user=actor).delete()
    device.confirmed, device.last_t = True, totp.t()
    device.save()
    recovery = StaticDevice.objects.create(user=actor, name=_("Recovery codes"), confirmed=True)
    codes = [StaticToken.random_token() for _n in range(two_factor.RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=recovery, token=c) for c in codes])
    append_event(actor=actor, kind="auth.two_factor_enrolled", subject_ref=_account_ref(actor),
                 new={"username": actor.get_username(), "recovery_codes": len(codes)})
    return device, codes


def two_factor_reset_refusal(actor, account):
    """Why `actor` may not reset `account`'s second factor, or None when they may."""
    if actor is SYSTEM:
        return None
    if not actor.has_perm(MANAGE_ACCOUNTS):
        return _("Only administrators reset a second factor.")
    if actor.pk == account.pk:
        return _("Nobody resets their own second factor: ask another administrator.")
    if account.is_superuser and not actor.is_superuser:
        return _("Only a superuser resets a superuser's second factor.")
    return None


@transaction.atomic
def two_factor_reset(*, actor, account):
    """An administrator removes every second-factor device of `account` (a lost or replaced
    phone, recovery codes used up), and its API token, which was issued against them. Its
    sessions that gave a code are no longer verified; at the next sign-in the owner enrols
    again. On the timeline, and the owner is told."""
    stored = get_user_model().objects.select_for_update().get(pk=account.pk)
    if (refusal := two_factor_reset_refusal(actor, stored)) is not None:
        raise PermissionDenied(refusal)
    devices = list(devices_for_user(stored, confirmed=None))
    if not devices:
        raise ValidationError(_("%(account)s has no second factor to reset.")
                              % {"account": stored.get_username()})
    for device in devices:
        device.delete()
    Token.objects.filter(user=stored).delete()
    append_event(actor=actor, kind="auth.two_factor_reset", subject_ref=_account_ref(stored),
                 new={"username": stored.get_username(), "devices": len(devices),
                      "leadership": holds_leadership(stored)},
                 notify=[stored])
    return len(devices)


# --- the county map -----------------------------------------------------------------------


@transaction.atomic
def county_map_uploaded(*, actor, content, source):
    """An administrator replaces the schematic county map (or the last upload) with township
    boundaries: `content` is the GeoJSON file's bytes (directory.geography says what passes),
    `source` whence the boundaries come, shown on the map. On the timeline."""
    if actor is not SYSTEM and not actor.has_perm(MANAGE_COUNTY_MAP):
        raise PermissionDenied(_("Only an administrator replaces the county map."))
    townships = list(Unit.objects.townships().exclude(division_code=""))
    geojson = geography.checked_boundaries(
        content, {t.division_code: t.short_name for t in townships},
        [(t.seat_latitude, t.seat_longitude) for t in townships
         if t.seat_latitude is not None and t.seat_longitude is not None])
    county_map = CountyMap(source=source, geojson=geojson, uploaded_by=actor)
    county_map.full_clean()
    county_map.save()
    append_event(actor=actor, kind="directory.county_map.uploaded", subject=county_map,
                 new={"source": source, "townships": len(geojson["features"])})
    return county_map
