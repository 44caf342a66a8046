from django.db.models import Exists, OuterRef, Prefetch
from django.utils import timezone

from directory.choices import PositionCode, UnitKind
from directory.models import DutyShift, Person, PositionHolding, TaskGroup, Unit


def _on_duty_now(person_ref="pk"):
    return Exists(DutyShift.objects.on_duty_now().filter(person=OuterRef(person_ref)))


def people():
    """Directory entries with what the list shows, in a fixed number of queries."""
    return (
        Person.objects.select_related("unit")
        .prefetch_related(
            Prefetch("holdings",
                     queryset=PositionHolding.objects.select_related("position", "unit")),
            "unit__task_groups",
        )
        .annotate(on_duty=_on_duty_now())
        .order_by("unit__order", "unit__code", "name")
    )


def units(kind=None):
    queryset = Unit.objects.prefetch_related("task_groups", "led_groups")
    return queryset.filter(kind=kind) if kind else queryset


def task_groups():
    return TaskGroup.objects.select_related("lead_unit").prefetch_related("member_units")


def shifts_on_duty(moment=None):
    moment = moment or timezone.now()
    return (
        DutyShift.objects.on_duty_at(moment)
        .select_related("unit", "person")
        .order_by("unit__order", "-is_leader", "person__name")
    )


def on_duty_by_unit(moment=None):
    """Every unit that keeps 24-hour duty (the office and the member units, §6.3), each with the
    shifts on duty now; units with nobody on duty are listed too, with an empty list."""
    on_duty = {}
    for shift in shifts_on_duty(moment):
        on_duty.setdefault(shift.unit_id, []).append(shift)
    covered = Unit.objects.filter(
        kind__in=[UnitKind.OFFICE, UnitKind.MEMBER])
    return [(unit, on_duty.get(unit.pk, [])) for unit in covered]


def shifts_between(start, end, unit=None):
    queryset = DutyShift.objects.filter(starts_at__lt=end, ends_at__gt=start)
    if unit is not None:
        queryset = queryset.filter(unit=unit)
    return queryset.select_related("unit", "person").order_by("starts_at", "unit__order")


def held_units(user, position_code):
    """Ids of the units for which the user holds a unit-scoped position."""
    return set(PositionHolding.objects.filter(
        person__user=user, position__code=position_code, unit__isnull=False,
    ).values_list("unit_id", flat=True))


def users_on_call(moment=None):
    """Who hears of a clock: office directors, and the duty officers on shift now (all duty
    officers when the roster has nobody on shift, so a warning is never addressed to no one)."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(is_active=True)
    directors = users.filter(person__holdings__position__code=PositionCode.OFFICE_DIRECTOR)
    duty = users.filter(person__holdings__position__code=PositionCode.DUTY_OFFICER)
    on_shift = duty.filter(person__shifts__in=DutyShift.objects.on_duty_at(moment or timezone.now()))
    return list((directors | (on_shift if on_shift.exists() else duty)).distinct())


def users_with_permission(permission):
    """Active users whose positions carry the permission ("app.codename")."""
    from django.contrib.auth import get_user_model

    app_label, codename = permission.split(".")
    return list(get_user_model().objects.filter(
        is_active=True, person__holdings__position__permissions__codename=codename,
        person__holdings__position__permissions__content_type__app_label=app_label,
    ).distinct())
