"""Importing the contact directory from Excel: a preview that names every bad row by line
and field, and nothing saved until the whole file is valid."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from directory.models import Person, Unit
from timeline.models import Event

pytestmark = pytest.mark.django_db
HEADER = ["单位", "姓名", "职务", "岗位", "手机号码", "办公电话"]


def workbook(rows, header=HEADER):
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("directory.xlsx", buffer.getvalue())


GOOD_ROWS = [
    ["县公安局", "刘洋", "指挥中心", "成员单位联络员", "13800001111", "0356-2022110"],
    ["县消防救援大队", "陈静", "值班长", "", "13800002222", ""],
]


@pytest.fixture
def admin_client(client_as):
    client, _user = client_as("administrator")
    return client


def test_valid_file_previews_then_saves_on_confirmation(admin_client):
    response = admin_client.post("/directory/import/", {"file": workbook(GOOD_ROWS)})
    assert response.status_code == 200
    assert not response.context["errors"]
    assert [r.action for r in response.context["rows"]] == ["create", "create"]
    assert not Person.objects.filter(name__in=["刘洋", "陈静"]).exists()  # preview saves nothing

    response = admin_client.post("/directory/import/confirm/")
    assert response.status_code == 302
    liu = Person.objects.get(name="刘洋")
    assert liu.unit.code == "gaj" and liu.mobile == "13800001111"
    assert [(h.position.code, h.unit.code) for h in liu.holdings.all()] == [("unit_liaison", "gaj")]
    assert Event.objects.filter(kind="directory.person.created", subject_id=str(liu.pk)).exists()


def test_reimporting_an_export_changes_nothing(admin_client):
    admin_client.post("/directory/import/", {"file": workbook(GOOD_ROWS)})
    admin_client.post("/directory/import/confirm/")
    exported = admin_client.get("/directory/export.xlsx").content
    response = admin_client.post("/directory/import/", {
        "file": SimpleUploadedFile("export.xlsx", exported)})
    assert not response.context["errors"]
    assert {r.action for r in response.context["rows"]} == {"unchanged"}


def test_a_changed_row_updates_the_person(admin_client):
    admin_client.post("/directory/import/", {"file": workbook(GOOD_ROWS)})
    admin_client.post("/directory/import/confirm/")
    rows = [GOOD_ROWS[0][:2] + ["副主任"] + GOOD_ROWS[0][3:]]
    response = admin_client.post("/directory/import/", {"file": workbook(rows)})
    assert [r.action for r in response.context["rows"]] == ["update"]
    admin_client.post("/directory/import/confirm/")
    assert Person.objects.get(name="刘洋").title == "副主任"


def test_bad_rows_are_named_by_line_and_field_and_nothing_is_saved(admin_client):
    Person.objects.create(name="老周", unit=Unit.objects.get(code="fire"), mobile="13900009999")
    people_before, events_before = Person.objects.count(), Event.objects.count()
    rows = [
        GOOD_ROWS[0],                                                    # line 2: fine
        ["县不存在局", "孙丽", "", "", "13800003333", ""],               # line 3: unknown unit
        ["县能源局", "周杰", "", "", "1380000", ""],                     # line 4: malformed mobile
        ["县公安局", "刘洋", "", "", "13800004444", ""],                 # line 5: duplicate of line 2
        # line 6: the mobile of 老周, and a malformed office phone
        ["县能源局", "吴敏", "", "", "13900009999", "0356-12"],
        ["县能源局", "郑浩", "", "指挥官", "", ""],                      # line 7: unknown position
    ]
    response = admin_client.post("/directory/import/", {"file": workbook(rows)})
    errors = {(e.line, e.field_label) for e in response.context["errors"]}
    assert errors == {(3, "单位"), (4, "手机号码"), (5, "姓名"), (6, "手机号码"), (6, "办公电话"),
                      (7, "岗位")}
    html = response.content.decode()
    assert "未保存任何数据" in html and "县不存在局" in html and "老周" in html
    response = admin_client.post("/directory/import/confirm/")  # nothing stored to confirm
    assert response.status_code == 302
    assert Person.objects.count() == people_before
    assert Event.objects.count() == events_before


def test_a_file_without_the_needed_columns_is_refused(admin_client):
    response = admin_client.post("/directory/import/", {
        "file": workbook([["x", "y"]], header=["甲", "乙"])})
    assert "缺少：单位、姓名" in " ".join(response.context["form"].errors["file"])


def test_a_file_that_is_not_a_workbook_is_refused(admin_client):
    response = admin_client.post("/directory/import/", {
        "file": SimpleUploadedFile("directory.xlsx", b"not a workbook")})
    assert "不是 Excel 文件" in " ".join(response.context["form"].errors["file"])


def test_english_headers_are_accepted_too(admin_client):
    header = ["Unit", "Name", "Title", "Positions", "Mobile phone", "Office phone"]
    response = admin_client.post("/directory/import/", {"file": workbook(GOOD_ROWS, header)})
    assert not response.context["errors"] and len(response.context["rows"]) == 2


def test_a_conflict_arising_after_the_preview_is_caught_at_confirmation(admin_client):
    admin_client.post("/directory/import/", {"file": workbook(GOOD_ROWS)})
    Person.objects.create(name="别人", unit=Unit.objects.get(code="fire"), mobile="13800002222")
    response = admin_client.post("/directory/import/confirm/")
    assert response.status_code == 200
    assert [(e.line, e.field) for e in response.context["errors"]] == [(3, "mobile")]
    assert not Person.objects.filter(name="刘洋").exists()


@pytest.mark.parametrize("position", ["duty_officer", "unit_liaison", "commander"])
def test_only_managers_import(client_as, position):
    client, _ = client_as(position)
    assert client.post("/directory/import/", {"file": workbook(GOOD_ROWS)}).status_code == 403
    assert client.post("/directory/import/confirm/").status_code == 403
