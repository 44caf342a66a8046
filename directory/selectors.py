from django.db.models import Exists, OuterRef, Prefetch
from django.utils import timezone

from directory.choices import UnitKind
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
