"""What a screen says about being live is true: when the web process no longer hears its
feed from Redis (Redis hung, then killed), the badge leaves 实时 within seconds and comes
back when Redis does, with no reload; a screen opened meanwhile says it is reconnecting."""

import signal

import pytest
from playwright.sync_api import expect

from directory.choices import PositionCode
from tests.conftest import logged_in
from tests.live_helpers import asgi_server, use_channel_layer

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
            late = context.new_page()                       # opened while it is down:
            late.goto(f"{server.url}/command/")             # no socket can open (Channels
            expect(late.locator("#live-status")).to_have_attribute(  # subscribes it first)
                "data-state", "reconnecting", timeout=10_000)
            expect(badge).to_have_text(DOWN)

            private_redis.start()
            expect(badge).to_have_attribute("data-state", "connected", timeout=15_000)
            expect(late.locator("#live-status")).to_have_attribute(
                "data-state", "connected", timeout=15_000)
        finally:
            context.close()
        assert "Exception in ASGI application" not in server.output(), server.output()
