"""Live pages tell the truth. The incident page and the list follow events without a reload.
What a screen says about being live is true: when the web process no longer hears its
feed from Redis (Redis hung, then killed), the badge leaves 实时 within seconds and comes
back when Redis does, with no reload; a screen opened meanwhile says so at once."""

import re
import signal
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from directory.choices import PositionCode
from incidents import services
from incidents.clocks import sweep_deadlines
from tests.conftest import logged_in
from tests.incident_helpers import complete_contents, figures_of, report_incident
from tests.live_helpers import asgi_server, use_channel_layer
from tests.test_command_room_browser import writing

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOWN = "实时推送中断，每10秒核对"


def test_the_badge_leaves_live_while_redis_is_down_and_returns(browser, private_redis,
                                                              settings, make_user):
    duty = make_user(PositionCode.DUTY_OFFICER)
    use_channel_layer(settings, private_redis.url)
    with asgi_server(private_redis.url, LIVE_FEED_CHECK_SECONDS=1) as server:
        context, screen = logged_in(browser, server, duty)
        try:
            screen.goto(f"{server.url}/command/")
            badge = screen.locator("#live-status")
            expect(badge).to_have_attribute("data-state", "connected")
            expect(badge).to_have_text("实时")

            private_redis.signal(signal.SIGSTOP)            # hung: accepts, never answers
            try:
                expect(badge).to_have_attribute("data-state", "degraded", timeout=10_000)
                expect(badge).to_have_text(DOWN)
            finally:
                private_redis.signal(signal.SIGCONT)
            expect(badge).to_have_attribute("data-state", "connected", timeout=10_000)

            private_redis.kill()                            # gone: connections refused
            expect(badge).to_have_attribute("data-state", "degraded", timeout=10_000)
            late = context.new_page()                       # opened while it is down: its
            late.goto(f"{server.url}/command/")             # socket opens and is told so
            expect(late.locator("#live-status")).to_have_attribute(
                "data-state", "degraded", timeout=10_000)
            expect(late.locator("#live-status")).to_have_text(DOWN)
            expect(badge).to_have_text(DOWN)

            private_redis.start()
            expect(badge).to_have_attribute("data-state", "connected", timeout=15_000)
            expect(late.locator("#live-status")).to_have_attribute(
                "data-state", "connected", timeout=15_000)
        finally:
            context.close()
        assert "Exception in ASGI application" not in server.output(), server.output()


def test_the_incident_page_and_list_follow_a_late_written_report_without_a_reload(
        browser, redis_url, settings, make_user):
    """The written report arrives after its clock ran out: the incident page stops counting
    "已超时" and shows the report, the list drops the overdue mark, and text being typed on
    the incident page stays."""
    duty = make_user(PositionCode.DUTY_OFFICER)
    now = timezone.now()
    incident = report_incident(duty, occurred_at=now - timedelta(minutes=50),
                               reported_at=now - timedelta(minutes=40))
    sweep_deadlines()
    use_channel_layer(settings, redis_url)
    with asgi_server(redis_url) as server:
        context, page = logged_in(browser, server, duty)
        try:
            listing = context.new_page()
            listing.goto(f"{server.url}/incidents/")
            row = listing.locator(f"tr:has(a[href='/incidents/{incident.pk}/'])")
            expect(row).to_have_class("overdue")
            page.goto(f"{server.url}/incidents/{incident.pk}/")
            expect(page.locator("#live-status")).to_have_attribute("data-state", "connected")
            clock = page.locator("#clocks [data-kind=written_report] .clock")
            expect(clock).to_have_class(re.compile("clock-overdue"))
            page.fill("#proposal-reason", "现场需要增派抢修力量")
            loads = []
            page.on("load", lambda _page: loads.append(1))

            writing(services.written_report_saved, actor=duty, incident=incident,
                    contents=complete_contents(), figures=figures_of(incident))

            expect(clock).to_have_class(re.compile("clock-met"), timeout=5_000)
            expect(clock).to_contain_text("逾期完成")
            expect(page.locator("#reports [data-report-kind=written]")).to_have_count(1)
            expect(page.locator("#proposal-reason")).to_have_value("现场需要增派抢修力量")
            expect(row).not_to_have_class("overdue", timeout=5_000)
            assert loads == [], "the incident page reloaded"
        finally:
            context.close()
