"""At phone width (390 × 844), as the people who use these pages on a phone: the township
officer logging an incident and following it, the duty officer on the incident page, the
commander deciding from the inbox. Nothing is wider than the screen, the menu folds away,
and a township officer's only township is chosen for him."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from directory.choices import PositionCode
from directory.models import Unit
from incidents import services
from response import services as response_services
from tests.conftest import PASSWORD
from tests.incident_helpers import complete_contents, figures_of, report_incident

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LONG = "主管道爆裂，东街换热站至西环路一带约两千户停暖，抢修队已到场，正在关闭阀门并排查次生隐患" * 3


def on_phone(browser, live_server, user):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return context, page


def too_wide(page):
    """The page's width beyond the screen, and the deepest elements that stick out where the
    user can see them (a part clipped by a box that hides its overflow, such as the map's
    drawing surface, does not stick out)."""
    return page.evaluate("""() => {
        const width = window.innerWidth;
        const visibleRight = el => {
            let right = el.getBoundingClientRect().right;
            for (let up = el.parentElement; up; up = up.parentElement) {
                if (['hidden', 'clip'].includes(getComputedStyle(up).overflowX)) {
                    right = Math.min(right, up.getBoundingClientRect().right);
                }
            }
            return right;
        };
        const out = [...document.querySelectorAll('body *')].filter(el => {
            const box = el.getBoundingClientRect();
            return box.width > 0 && visibleRight(el) > width + 1 &&
                ![...el.children].some(child => visibleRight(child) > width + 1);
        }).slice(0, 8).map(el => el.tagName + '#' + el.id + '.' + el.getAttribute('class') +
                           ' ' + Math.round(el.getBoundingClientRect().right));
        return {scroll: document.documentElement.scrollWidth, width, out};
    }""")


def assert_fits(page, what):
    measured = too_wide(page)
    assert measured["scroll"] <= measured["width"], f"{what}: {measured}"
    assert measured["out"] == [], f"{what}: {measured}"


def assert_menu_folded(page):
    """The site menu takes one row; its links show when the menu button is pressed."""
    bar = page.locator("header.topbar")
    assert bar.bounding_box()["height"] <= 64, bar.bounding_box()
    expect(page.locator("#mainnav")).to_be_hidden()
    page.click("[data-menu-toggle]")
    expect(page.locator("#mainnav")).to_be_visible()
    assert_fits(page, "menu open")
    page.click("[data-menu-toggle]")
    expect(page.locator("#mainnav")).to_be_hidden()


def busy_incident(duty):
    """An incident with a written report, continuation reports with long text, an inquiry,
    and a proposed response: every part of the incident page has something in it."""
    incident = report_incident(duty, description=LONG)
    services.written_report_saved(actor=duty, incident=incident, contents=complete_contents(),
                                  figures=figures_of(incident))
    for _number in range(2):
        services.continuation_report_filed(actor=duty, incident=incident, summary=LONG,
                                           measures=LONG, figures=figures_of(incident))
    services.inquiry_recorded(actor=duty, incident=incident, asked_by="晋城市住房和城乡建设局",
                              asked_at=timezone.now(), question=LONG[:300])
    response_services.response_proposed(actor=duty, incident=incident, level="I",
                                        reason=LONG[:200])
    return incident


def test_a_township_officer_logs_and_follows_an_incident_at_phone_width(browser, live_server,
                                                                         make_user):
    officer = make_user(PositionCode.TOWNSHIP_OFFICER)
    context, page = on_phone(browser, live_server, officer)
    try:
        page.goto(f"{live_server.url}/incidents/new/")
        assert_fits(page, "intake")
        assert_menu_folded(page)
        township = page.locator("#id_township")
        expect(township).to_have_value(str(Unit.objects.get(code="tw_nancun").pk))
        assert "---------" not in township.inner_text()

        page.goto(f"{live_server.url}/incidents/")
        assert "---------" not in page.locator("#id_ordering").inner_text()
        assert_fits(page, "incident list")
    finally:
        context.close()


def test_the_incident_page_and_the_inbox_fit_a_phone(browser, live_server, make_user):
    duty = make_user(PositionCode.DUTY_OFFICER)
    commander = make_user(PositionCode.COMMANDER)
    incident = busy_incident(duty)
    for user in (duty, commander):
        context, page = on_phone(browser, live_server, user)
        try:
            page.goto(f"{live_server.url}/incidents/{incident.pk}/")
            assert_fits(page, f"incident page as {user}")
            event = page.locator("#timeline [data-seq]").first
            assert event.bounding_box()["width"] >= 300      # not one character per line
            assert_menu_folded(page)
            page.goto(f"{live_server.url}/response/inbox/")
            assert_fits(page, f"inbox as {user}")
        finally:
            context.close()
    context, page = on_phone(browser, live_server, commander)
    try:
        page.goto(f"{live_server.url}/response/inbox/")
        expect(page.locator(f"[data-response] a[href='/incidents/{incident.pk}/']")).to_be_visible()
    finally:
        context.close()
