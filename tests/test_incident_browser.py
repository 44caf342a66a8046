"""A duty officer, in a real browser: logs the first report on the intake page, sees the
written-report clock count down, submits a complete written report and sees the clock stop."""

import re

import pytest
from playwright.sync_api import expect

from directory.choices import PositionCode
from incidents import written_report
from incidents.models import Deadline, Incident
from tests.conftest import PASSWORD, no_socket_here
from tests.incident_helpers import fill_intake_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_first_report_countdown_written_report_clock_stops(page, live_server, make_user):
    duty = make_user(PositionCode.DUTY_OFFICER)
    errors = []
    page.on("console", lambda message: message.type == "error" and not no_socket_here(
        message) and errors.append(message.text))
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", duty.username)
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.click("nav >> text=登记事件")

    fill_intake_page(page)
    page.click("text=登记首报")

    expect(page.locator("#figures")).to_contain_text("一般")
    expect(page.locator("#suggested-level")).to_contain_text("Ⅱ")  # 一般 with a casualty
    clock = page.locator('#clocks li[data-kind="written_report"] .clock')
    expect(clock).to_have_text(re.compile(r"剩余 (29|30):\d\d"))
    first = clock.inner_text()
    page.wait_for_timeout(1500)
    assert clock.inner_text() != first  # it counts down in the browser

    page.click(".actions >> text=书面报告")
    for element in written_report.ELEMENTS:
        field = page.locator(f"#id_{element.key}")
        if not field.input_value():
            field.fill("13900002222" if element.phone else f"{element.label}：已核实")
    expect(page.locator(".missing-live")).to_have_text("")
    page.click("button:has-text('保存')")

    expect(page.locator('#clocks li[data-kind="written_report"] .clock')).to_contain_text(
        "按时完成")
    incident = Incident.objects.get()
    assert Deadline.objects.get(incident=incident).met_at is not None
    assert incident.reports.filter(kind="written", is_complete=True, on_time=True).exists()
    assert errors == []
