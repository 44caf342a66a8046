"""Three people, three browsers: the office proposes Level Ⅱ, a deputy commander approves it
from the inbox, the public-security liaison acknowledges the notice, and the incident page
shows all three (a reload after each step, until the live command room lands)."""

import pytest
from playwright.sync_api import expect

from directory.choices import PositionCode
from directory.models import Unit
from response.models import Response
from tests.conftest import logged_in
from tests.incident_helpers import report_incident

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_propose_approve_acknowledge_in_three_browsers(browser, live_server, make_user):
    duty = make_user(PositionCode.DUTY_OFFICER)
    deputy = make_user(PositionCode.DEPUTY_COMMANDER)
    liaison = make_user(PositionCode.UNIT_LIAISON, unit_code="gaj")
    incident = report_incident(duty, reporter_unit=Unit.objects.get(code="ent_demo1"))
    incident_url = f"{live_server.url}/incidents/{incident.pk}/"
    contexts = []
    try:
        office_context, office = logged_in(browser, live_server, duty)
        deputy_context, commander = logged_in(browser, live_server, deputy)
        unit_context, unit = logged_in(browser, live_server, liaison)
        contexts += [office_context, deputy_context, unit_context]

        office.goto(incident_url)
        expect(office.locator("form.proposal input[name=level][value=II]")).to_be_checked()
        office.click("form.proposal button.primary")  # propose the suggested Level Ⅱ
        expect(office.locator("#response .response.state-proposed")).to_be_visible()

        commander.goto(f"{live_server.url}/response/inbox/")
        card = commander.locator('.proposal-card[data-response]')
        expect(card).to_have_count(1)
        card.locator("form[action$='/approve/'] button").click()
        expect(commander.locator(".proposal-card")).to_have_count(0)

        unit.goto(f"{live_server.url}/response/unit/")
        notice = unit.locator("#notices li[data-notice]")
        expect(notice).to_have_count(1)
        notice.locator("form button").click()
        expect(unit.locator("#notices .tag.ack")).to_be_visible()

        office.reload()
        panel = office.locator("#response .response.state-active")
        expect(panel).to_be_visible()
        expect(panel).to_contain_text(deputy.person.name)            # who approved
        expect(panel.locator('li[data-unit="gaj"] .tag.ack')).to_be_visible()  # acknowledged
        expect(panel.locator('li[data-unit="fire"] .clock')).to_be_visible()   # still waiting
    finally:
        for context in contexts:
            context.close()
    response = Response.objects.get()
    assert response.state == "active" and response.started_by == deputy
    assert response.notices.get(unit__code="gaj").acknowledged_by == liaison
