"""The plan's organisation as data (§2.1–2.6), loaded by an idempotent command."""

import pytest
from django.core.management import call_command

from directory.choices import PositionCode, UnitKind
from directory.models import Position, TaskGroup, Unit
from directory.plan_loader import load_plan
from timeline.models import Event

pytestmark = pytest.mark.django_db

# §2.1 lists these member units by name, in this order, then 事发地乡镇政府 and 有关集中供热企业
# (represented by the township and enterprise units).
MEMBER_UNITS_21 = [
    "县委宣传部", "县住房和城乡建设管理局", "县发展和改革局", "县工业和信息化局", "县公安局", "县民政局",
    "县财政局", "县人力资源和社会保障局", "县交通运输局", "县卫生健康和体育局", "县应急管理局",
    "县市场监督管理局", "县能源局", "市生态环境局泽州分局", "县气象局", "县人武部", "县消防救援大队",
    "县融媒体中心",
]
# §2.6: the eight task groups and their lead units.
TASK_GROUP_LEADS = [
    ("综合协调组", "zjj"), ("抢险救援组", "zjj"), ("应急保障组", "fgj"), ("医学救援组", "wtj"),
    ("技术专家组", "zjj"), ("治安警戒组", "gaj"), ("宣传报道组", "xcb"), ("善后处置组", "zjj"),
]


def test_member_units_are_those_of_section_2_1_in_order(plan):
    members = list(Unit.objects.filter(kind=UnitKind.MEMBER))
    assert [u.name for u in members[:len(MEMBER_UNITS_21)]] == MEMBER_UNITS_21
    # 供电公司, 移动公司, 联通公司, 电信公司 close the list.
    assert [u.short_name for u in members[len(MEMBER_UNITS_21):]] == [
        "供电公司", "移动公司", "联通公司", "电信公司"]
    assert all(u.duties for u in members), "every member unit has its §2.3 duties"
    assert all(u.duty_phone for u in members), "every member unit has a 24-hour duty phone"


def test_eight_task_groups_with_their_lead_units(plan):
    groups = list(TaskGroup.objects.select_related("lead_unit"))
    assert [(g.name, g.lead_unit.code) for g in groups] == TASK_GROUP_LEADS
    rescue = TaskGroup.objects.get(name="抢险救援组")
    assert set(rescue.member_units.values_list("code", flat=True)) == {
        "gaj", "yjj", "scjgj", "sthj", "fire", "qxj", "rwb"}
    assert "事发地乡镇政府" in rescue.other_members
    assert all(g.duties for g in groups)


def test_headquarters_office_townships_and_enterprises_are_units(plan):
    assert Unit.objects.filter(kind=UnitKind.HEADQUARTERS).count() == 1
    assert Unit.objects.filter(kind=UnitKind.OFFICE).count() == 1
    assert Unit.objects.filter(kind=UnitKind.TOWNSHIP, short_name="南村镇").exists()
    assert Unit.objects.filter(kind=UnitKind.TOWNSHIP).count() >= 15
    assert Unit.objects.filter(kind=UnitKind.ENTERPRISE).exists()


def test_every_position_exists_with_the_plan_holders(plan):
    assert set(Position.objects.values_list("code", flat=True)) == set(PositionCode.values)
    assert Position.objects.get(code=PositionCode.COMMANDER).held_by_plan == "县政府分管副县长"
    assert Position.objects.get(code=PositionCode.OFFICE_DIRECTOR).held_by_plan == \
        "县住房和城乡建设管理局局长"


def test_loading_twice_changes_nothing_and_logs_nothing_more(plan):
    counts = (Unit.objects.count(), TaskGroup.objects.count(), Position.objects.count(),
              Event.objects.count())
    call_command("load_plan")
    assert (Unit.objects.count(), TaskGroup.objects.count(), Position.objects.count(),
            Event.objects.count()) == counts


def test_loading_again_keeps_an_administrators_edit_unless_asked(plan):
    unit = Unit.objects.get(code="gaj")
    unit.duty_phone = "0356-2020110"
    unit.save()
    load_plan()
    assert Unit.objects.get(code="gaj").duty_phone == "0356-2020110"
    load_plan(update=True)
    assert Unit.objects.get(code="gaj").duty_phone != "0356-2020110"
    assert Event.objects.filter(kind="directory.unit.updated", subject_id=str(unit.pk)).exists()


def test_loading_writes_the_organisation_on_the_timeline(plan):
    assert Event.objects.filter(kind="directory.unit.created").count() == Unit.objects.count()
    assert Event.objects.filter(kind="directory.taskgroup.created").count() == 8
