from dataclasses import dataclass

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    Value,
    When,
)
from django.utils import timezone

from directory.choices import PositionCode, UnitKind
from directory.models import CountyMap, DutyShift, Person, PositionHolding, TaskGroup, Unit
from directory.plan_loader import read_plan
from zezhou_heat.permissions import VIEW_ALL_MOBILES


def _on_duty_now(person_ref="pk"):
    return Exists(DutyShift.objects.on_duty_now().filter(person=OuterRef(person_ref)))


@dataclass(frozen=True)
class PhoneBook:
    """Which mobile numbers a user may see. The office and the leaders (VIEW_ALL_MOBILES)
    see every one; any other reader sees the units' duty phones and office phones, the
    mobile of whoever is on duty now (the duty line) and the mobiles of their own unit(s):
    the unit of their directory entry and the units they hold a position for. A hidden
    number is left out (an empty string) on the pages, the API and the exports, and cannot be
    searched for; live frames never carry mobile numbers (command_room.frames)."""

    everything: bool
    units: frozenset = frozenset()

    @classmethod
    def of(cls, user):
        if user.has_perm(VIEW_ALL_MOBILES):
            return cls(everything=True)
        if not user.is_authenticated:
            return cls(everything=False)
        units = set(PositionHolding.objects.filter(person__user=user, unit__isnull=False)
                    .values_list("unit_id", flat=True))
        units |= set(Person.objects.filter(user=user).values_list("unit_id", flat=True))
        return cls(everything=False, units=frozenset(units))

    def visible(self):
        """Over people annotated with `on_duty`: those whose mobile this user sees."""
        return Q(pk__isnull=False) if self.everything else (
            Q(unit__in=self.units) | Q(on_duty=True))


def people(viewer):
    """Directory entries with what the list shows, in a fixed number of queries, each with
    `shown_mobile` (its mobile, or "" when `viewer` may not see it) and `mobile_hidden`."""
    book = PhoneBook.of(viewer)
    queryset = (
        Person.objects.select_related("unit")
        .prefetch_related(
            Prefetch("holdings",
                     queryset=PositionHolding.objects.select_related("position", "unit")),
            "unit__task_groups",
        )
        .annotate(on_duty=_on_duty_now())
        .order_by("unit__order", "unit__code", "name")
    )
    if book.everything:
        return queryset.annotate(shown_mobile=F("mobile"), mobile_hidden=Value(False))
    return queryset.annotate(
        shown_mobile=Case(When(book.visible(), then=F("mobile")), default=Value(""),
                          output_field=CharField()),
        mobile_hidden=Case(When(book.visible() | Q(mobile=""), then=Value(False)),
                           default=Value(True), output_field=BooleanField()),
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


def liaisons_by_unit(unit_ids):
    """The active users who are liaisons of each of these units, in one query: {unit id:
    [users]} (a unit without one is absent)."""
    liaisons = {}
    if not unit_ids:
        return liaisons
    for holding in PositionHolding.objects.filter(
            position__code=PositionCode.UNIT_LIAISON, unit__in=unit_ids,
            person__user__is_active=True).select_related("person__user"):
        liaisons.setdefault(holding.unit_id, []).append(holding.person.user)
    return liaisons


def township_map():
    """What the county map is drawn on: every township (those merged into another too, whose
    incidents are drawn at the township they joined), the boundaries in use (the newest
    upload, its GeoJSON left unread: it is served apart) or None for the schematic, and the
    landmark the schematic shows for orientation."""
    return {
        "townships": list(Unit.objects.filter(kind=UnitKind.TOWNSHIP)),
        "boundaries": CountyMap.objects.defer("geojson").select_related("uploaded_by").first(),
        "landmark": _plan_geography().get("reference"),
    }


_geography = {}


def _plan_geography():
    if not _geography:
        _geography.update(read_plan().get("geography", {}))
    return _geography
