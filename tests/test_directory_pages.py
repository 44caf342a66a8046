"""Searching, filtering, exporting and the duty roster, as a duty officer uses them."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from directory import services
from directory.models import DutyShift, Person, Position, TaskGroup, Unit
from timeline.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(plan):
    gaj, fire, power = (Unit.objects.get(code=c) for c in ("gaj", "fire", "power"))
    zhang = Person.objects.create(name="张伟", unit=gaj, title="指挥中心主任",
                                  mobile="13835612345", office_phone="0356-2022110")
    zhang.holdings.create(position=Position.objects.get(code="unit_liaison"), unit=gaj)
    wang = Person.objects.create(name="王芳", unit=fire, mobile="13935600001")
    li = Person.objects.create(name="李强", unit=power, mobile="13735600002")
    now = timezone.now()
    DutyShift.objects.create(unit=fire, person=wang, starts_at=now - timedelta(hours=1),
                             ends_at=now + timedelta(hours=23))
    DutyShift.objects.create(unit=power, person=li, starts_at=now + timedelta(hours=2),
                             ends_at=now + timedelta(hours=26))
    return {"zhang": zhang, "wang": wang, "li": li}


def names(response):
    return [p.name for p in response.context["page"]]


@pytest.mark.parametrize("query, expected", [
    ("张伟", ["张伟"]),                    # by person
    ("消防", ["王芳"]),                    # by unit short name
    ("成员单位联络员", ["张伟"]),           # by position
    ("1383561", ["张伟"]),                 # by part of a mobile number
    ("2022110", ["张伟"]),                 # by part of an office phone
    ("138 3561 2345", ["张伟"]),           # spaced as read aloud on the phone
])
def test_search_by_person_unit_position_or_phone(client_as, people, query, expected):
    client, _ = client_as("duty_officer")
    response = client.get("/directory/", {"q": query})
    assert names(response) == expected


def test_filter_by_task_group_covers_lead_and_member_units(client_as, people):
    client, _ = client_as("duty_officer")
    security = TaskGroup.objects.get(name="治安警戒组")  # lead: 公安局
    assert "张伟" in names(client.get("/directory/", {"task_group": security.pk}))
    medical = TaskGroup.objects.get(name="医学救援组")
    assert "张伟" not in names(client.get("/directory/", {"task_group": medical.pk}))


def test_on_duty_now_shows_only_current_shifts(client_as, people):
    client, _ = client_as("duty_officer")
    response = client.get("/directory/", {"on_duty": "true"})
    assert names(response) == ["王芳"]
    assert [s.person.name for s in response.context["on_duty"]] == ["王芳"]


def test_directory_page_lists_member_units_and_task_groups(client_as, plan):
    client, _ = client_as("duty_officer")
    html = client.get("/directory/").content.decode()
    for unit in Unit.objects.filter(kind="member"):
        assert f'data-unit="{unit.code}"' in html
    for group in TaskGroup.objects.all():
        assert f'data-task-group="{group.code}"' in html
    assert "通讯录" in html  # Chinese by default


def test_htmx_search_returns_only_the_table(client_as, people):
    client, _ = client_as("duty_officer")
    response = client.get("/directory/", {"q": "王芳"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "王芳" in html and "<html" not in html


def test_csv_export_follows_the_filter_and_opens_in_excel(client_as, people):
    client, _ = client_as("duty_officer")
    response = client.get("/directory/export.csv", {"q": "消防"})
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["单位", "姓名", "职务"]
    assert [r[1] for r in rows[1:]] == ["王芳"]
    assert rows[1][6] == "是"  # on duty now


def test_xlsx_export_has_every_person(client_as, people):
    client, _ = client_as("duty_officer")
    response = client.get("/directory/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    exported = {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert exported == set(Person.objects.values_list("name", flat=True))


def test_export_neutralises_spreadsheet_formulas(client_as, people):
    Person.objects.filter(pk=people["li"].pk).update(title="=HYPERLINK(\"http://x\")")
    client, _ = client_as("duty_officer")
    text = client.get("/directory/export.csv", {"q": "李强"}).content.decode()
    assert "'=HYPERLINK" in text


def test_roster_shows_on_duty_now_for_the_office_and_every_member_unit(client_as, people):
    client, _ = client_as("unit_liaison")
    response = client.get("/directory/roster/")
    by_unit = {unit.code: shifts for unit, shifts in response.context["on_duty_by_unit"]}
    assert set(Unit.objects.filter(kind__in=["office", "member"]).values_list(
        "code", flat=True)) <= set(by_unit)
    assert [s.person.name for s in by_unit["fire"]] == ["王芳"]
    assert by_unit["power"] == []  # 李强's shift has not started
    assert "当前无人值班" in response.content.decode()


@pytest.mark.parametrize("field, data, message", [
    ("ends_at", {"ends_at": "2026-12-01T08:00"}, "班次结束时间必须晚于开始时间"),
    ("person", {"unit": "power"}, "不属于"),
])
def test_a_bad_shift_is_refused_with_the_field_named(client_as, people, field, data, message):
    client, _ = client_as("administrator")
    form = {"unit": people["wang"].unit.pk, "person": people["wang"].pk,
            "starts_at": "2026-12-01T08:30", "ends_at": "2026-12-02T08:30"}
    if "unit" in data:
        data = {"unit": Unit.objects.get(code=data["unit"]).pk}
    form.update(data)
    before = DutyShift.objects.count()
    response = client.post("/directory/roster/shifts/", form)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert DutyShift.objects.count() == before


def test_a_shift_lands_on_the_timeline_with_its_actor(people, admin_user_):
    shift = services.shift_scheduled(
        actor=admin_user_, unit=people["wang"].unit, person=people["wang"],
        starts_at=timezone.now(), ends_at=timezone.now() + timedelta(hours=8))
    event = Event.objects.get(kind="directory.shift.created", subject_id=str(shift.pk))
    assert event.actor == admin_user_
    assert event.new["person"] == str(people["wang"])


def test_editing_a_person_records_old_and_new_values(client_as, people):
    client, admin = client_as("administrator")
    zhang = people["zhang"]
    response = client.post(f"/directory/people/{zhang.pk}/edit/", {
        "unit": zhang.unit.pk, "name": "张伟", "title": "副主任", "mobile": "13835612345",
        "office_phone": "0356-2022110", "positions": [Position.objects.get(code="unit_liaison").pk]})
    assert response.status_code == 302
    event = Event.objects.get(kind="directory.person.updated", subject_id=str(zhang.pk))
    assert event.old == {"title": "指挥中心主任"} and event.new == {"title": "副主任"}
    assert event.actor == admin


def test_a_malformed_phone_is_refused_on_the_person_form(client_as, plan):
    client, _ = client_as("administrator")
    response = client.post("/directory/people/new/", {
        "unit": Unit.objects.get(code="gaj").pk, "name": "赵六", "mobile": "12345"})
    assert response.status_code == 200
    assert "不是有效的电话号码" in " ".join(response.context["form"].errors["mobile"])
    assert not Person.objects.filter(name="赵六").exists()


def test_api_refuses_a_duplicate_mobile_with_the_field_named(client_as, people):
    client, _ = client_as("administrator")
    response = client.post("/api/directory/people/", {
        "unit": "gaj", "name": "另一个人", "mobile": people["wang"].mobile},
        content_type="application/json")
    assert response.status_code == 400
    assert "mobile" in response.json()
