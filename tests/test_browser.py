"""In a real browser (Debian's Chromium through Playwright), as the duty officer would."""

import csv
import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from directory.models import Person, Unit
from tests.conftest import PASSWORD, no_socket_here

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, base_url, user):
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def test_duty_officer_logs_in_searches_and_exports(page, live_server, make_user):
    gaj = Unit.objects.get(code="gaj")
    Person.objects.create(name="张伟", unit=gaj, title="指挥中心主任", mobile="13835612345")
    Person.objects.create(name="王芳", unit=Unit.objects.get(code="fire"), mobile="13935600001")
    errors = []
    page.on("console", lambda message: message.type == "error" and not no_socket_here(
        message) and errors.append(message.text))
    log_in(page, live_server.url, make_user("duty_officer"))
    page.click("nav >> text=通讯录")

    assert page.locator("h1").inner_text() == "通讯录"
    assert page.locator("#member-units tbody tr").count() == Unit.objects.filter(
        kind="member").count()
    assert page.locator("#task-groups tbody tr").count() == 8
    assert page.locator('[data-task-group="security"] .lead-unit').inner_text() == "县公安局"

    page.fill("#id_q", "13835612")  # part of 张伟's mobile: the table narrows as one types
    expect(page.locator("table.people tbody tr")).to_have_count(1)
    assert "张伟" in page.locator("table.people tbody").inner_text()
    assert "q=13835612" in page.url  # the search is in the address, for a bookmark

    with page.expect_download() as download_info:
        page.click("text=导出 CSV")
    text = open(download_info.value.path(), encoding="utf-8-sig").read()
    rows = list(csv.reader(io.StringIO(text)))
    assert [row[1] for row in rows[1:]] == ["张伟"]  # the export follows the search

    page.fill("#id_q", "")
    expect(page.locator("table.people tbody tr")).not_to_have_count(1)
    with page.expect_download() as download_info:
        page.click("text=导出 Excel")
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    with open(download.path(), "rb") as workbook:
        sheet = load_workbook(io.BytesIO(workbook.read())).active
    exported = {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert {"张伟", "王芳"} <= exported
    assert errors == []  # no script blocked by the CSP, no missing asset


def test_phone_screen_shows_people_as_labelled_cards(page, live_server, make_user):
    Person.objects.create(name="张伟", unit=Unit.objects.get(code="gaj"), mobile="13835612345")
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server.url, make_user("duty_officer"))
    page.goto(f"{live_server.url}/directory/")
    page.fill("#id_q", "张伟")
    expect(page.locator("table.people tbody tr")).to_have_count(1)
    row = page.locator("table.people tbody tr").first
    assert row.bounding_box()["width"] <= 390
    assert page.locator("table.people thead").is_hidden()


def test_a_wrong_password_is_told_and_the_user_stays_on_the_login_page(page, live_server,
                                                                       make_user):
    user = make_user("commander")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "not-the-password")
    page.press("#id_password", "Enter")
    assert page.locator(".errors").is_visible()
    assert "/accounts/login/" in page.url


def test_api_documentation_runs_offline_under_the_csp(page, live_server, make_user):
    errors, outside = [], []
    page.on("console", lambda message: message.type == "error" and not no_socket_here(
        message) and errors.append(message.text))
    page.on("request", lambda request: request.url.startswith(live_server.url)
            or request.url.startswith("data:") or outside.append(request.url))
    log_in(page, live_server.url, make_user("duty_officer"))
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.get_by_text("/api/timeline/events/")).to_be_visible()
    assert errors == [] and outside == []
