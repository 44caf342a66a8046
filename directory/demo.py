"""Demo people and accounts for the embedded quick start only (settings.DEMO_ACCOUNTS_ENABLED).
One login per position, a contact for every member unit, and duty shifts covering today."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from directory.choices import PositionCode, UnitKind
from directory.models import DutyShift, Person, Position, Unit
from directory.services import SYSTEM, leader_in_charge_set, person_saved, shift_scheduled

DEMO_PASSWORD = "zezhou-demo-2026"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    name: str
    unit_code: str
    title: str
    position: str
    staff: bool = False


DEMO_ACCOUNTS = [
    DemoAccount("commander", "演示指挥长", "hq", "分管副县长", PositionCode.COMMANDER),
    DemoAccount("deputy", "演示副指挥长", "hq", "县政府办公室副主任", PositionCode.DEPUTY_COMMANDER),
    DemoAccount("director", "演示办公室主任", "hq_office", "住建局局长", PositionCode.OFFICE_DIRECTOR),
    DemoAccount("duty", "演示值班员", "hq_office", "应急处置专班", PositionCode.DUTY_OFFICER),
    DemoAccount("liaison", "演示公安联络员", "gaj", "指挥中心", PositionCode.UNIT_LIAISON),
    DemoAccount("township", "演示南村镇干部", "tw_nancun", "应急办", PositionCode.TOWNSHIP_OFFICER),
    DemoAccount("enterprise", "演示供热企业报告员", "ent_demo1", "调度室",
                PositionCode.ENTERPRISE_REPORTER),
    DemoAccount("admin", "演示管理员", "hq_office", "信息中心", PositionCode.ADMINISTRATOR, staff=True),
]


def demo_mobile(index):
    return f"1380356{index:04d}"


def load_demo():
    if not settings.DEMO_ACCOUNTS_ENABLED:
        raise ImproperlyConfigured("Demo accounts exist only in the embedded quick start.")
    with transaction.atomic():
        for index, account in enumerate(DEMO_ACCOUNTS, start=1):
            _demo_account(index, account)
        for index, unit in enumerate(Unit.objects.filter(kind=UnitKind.MEMBER), start=100):
            _demo_unit_duty_officer(index, unit)
            _demo_leader_in_charge(index + 100, unit)
        _shift_today(Person.objects.get(user__username="duty"), leader=True)
    return DEMO_ACCOUNTS


def _demo_account(index, account):
    user, created = get_user_model().objects.get_or_create(
        username=account.username,
        defaults={"first_name": account.name, "is_staff": account.staff},
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    if Person.objects.filter(user=user).exists():
        return
    person = Person(name=account.name, unit=Unit.objects.get(code=account.unit_code),
                    title=account.title, mobile=demo_mobile(index), user=user)
    person_saved(actor=SYSTEM, person=person,
                 positions=[Position.objects.get(code=account.position)])


def _demo_unit_duty_officer(index, unit):
    person = Person.objects.filter(unit=unit, name=f"{unit.short_name}值班员").first()
    if person is None:
        person = person_saved(actor=SYSTEM, person=Person(
            name=f"{unit.short_name}值班员", unit=unit, title="值班员",
            mobile=demo_mobile(index), office_phone=unit.duty_phone))
    _shift_today(person)


def _demo_leader_in_charge(index, unit):
    """Each member unit's 分管领导, for the escalation of its unacknowledged notices."""
    if unit.leader_in_charge_id:
        return
    person = person_saved(actor=SYSTEM, person=Person(
        name=f"{unit.short_name}分管领导", unit=unit, title="分管领导",
        mobile=demo_mobile(index)))
    leader_in_charge_set(actor=SYSTEM, unit=unit, person=person)


def _shift_today(person, leader=False):
    """A 24-hour shift from 08:30 today (the usual hand-over), if none covers now."""
    if DutyShift.objects.on_duty_now().filter(person=person).exists():
        return
    now = timezone.localtime()
    start = timezone.make_aware(datetime.combine(now.date(), time(8, 30)))
    if start > now:
        start -= timedelta(days=1)
    shift_scheduled(actor=SYSTEM, unit=person.unit, person=person, starts_at=start,
                    ends_at=start + timedelta(days=1), is_leader=leader)
