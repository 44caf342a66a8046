"""The command room in real browsers, served by a real Uvicorn (HTTP and WebSockets).

One browser watches the command room while others log an incident and approve a response:
the screen shows them within 2 seconds, without a reload. Then Redis is stopped and killed
while events are written: no write is lost, and the screen ends with every event, in
order, once each."""

import re
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction
from playwright.sync_api import expect

from directory.choices import PositionCode
from directory.models import Unit
from incidents import services
from response import services as response_services
from tests.conftest import logged_in
from tests.incident_helpers import figures_of, fill_intake_page, report_incident
from tests.live_helpers import asgi_server, use_channel_layer, wait_until
from timeline.models import Event

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def watch_loads(page):
    loads = []
    page.on("load", lambda _page: loads.append(time.monotonic()))
    return loads


def watch_panel_fetches(page):
    """The panels a page fetched itself: none while they come on its socket."""
    fetches = []
    page.on("request", lambda request: "panels=1" in request.url and fetches.append(request.url))
    return fetches


def open_command_room(browser, server, user):
    context, page = logged_in(browser, server, user)
    page.goto(f"{server.url}/command/")
    loads = watch_loads(page)
    expect(page.locator("#live-status")).to_have_attribute("data-state", "connected")
    return context, page, loads


def feed_seqs(page):
    return [int(seq) for seq in page.locator("#feed li").evaluate_all(
        "items => items.map(item => item.dataset.seq)")]


def test_incident_and_approved_response_appear_within_two_seconds(browser, redis_url,
                                                                   settings, make_user):
    duty = make_user(PositionCode.DUTY_OFFICER)
    commander = make_user(PositionCode.COMMANDER)
    director = make_user(PositionCode.OFFICE_DIRECTOR)
    use_channel_layer(settings, redis_url)
    contexts = []
    with asgi_server(redis_url) as server:
        try:
            screen_context, screen, loads = open_command_room(browser, server, director)
            fetches = watch_panel_fetches(screen)
            duty_context, office = logged_in(browser, server, duty)
            commander_context, command = logged_in(browser, server, commander)
            contexts += [screen_context, duty_context, commander_context]

            office.goto(f"{server.url}/incidents/new/")
            fill_intake_page(office)
            office.click("text=登记首报")
            office.wait_for_url(re.compile(r"/incidents/\d+/$"))
            incident_id = re.search(r"/incidents/(\d+)/", office.url).group(1)
            row = screen.locator(f"tr[data-incident='{incident_id}']")
            expect(row).to_be_visible(timeout=2000)
            expect(row).to_contain_text("南村镇")
            expect(row.locator(".clock.clock-running")).to_be_visible(timeout=2000)

            office.click("form.proposal button.primary")  # the office proposes Level Ⅱ
            command.goto(f"{server.url}/response/inbox/")
            command.locator(".proposal-card form[action$='/approve/'] button").click()
            expect(command.locator(".proposal-card")).to_have_count(0)

            expect(row.locator(".level")).to_have_text("Ⅱ级响应", timeout=2000)
            expect(row.locator(".state")).to_have_text("响应中", timeout=2000)
            expect(screen.locator("#room-groups li[data-group]").first).to_be_visible(
                timeout=2000)
            clock = row.locator(".clock.clock-running").first
            shown = clock.inner_text()
            expect(clock).not_to_have_text(shown)  # still counting down
            expect(screen.locator("#feed li").first).to_contain_text("响应")
            assert len(loads) == 0, "the command room reloaded"
            assert fetches == [], "the panels were fetched, not pushed on the socket"
            assert feed_seqs(screen) == sorted(
                Event.objects.values_list("seq", flat=True), reverse=True)[:len(feed_seqs(screen))]
        finally:
            for context in contexts:
                context.close()


def test_screen_converges_after_redis_is_stopped_and_killed(browser, private_redis, settings,
                                                          make_user):
    duty = make_user(PositionCode.DUTY_OFFICER)
    use_channel_layer(settings, private_redis.url)
    with asgi_server(private_redis.url) as server:
        context, screen, loads = open_command_room(browser, server, duty)
        opened_at = int(screen.locator("[data-live]").get_attribute("data-seq"))
        try:
            incident = writing(report_incident, duty)
            expect_feed_to_show_every_event_since(screen, opened_at)

            private_redis.signal(signal.SIGSTOP)  # Redis hangs: publishing cannot complete
            try:
                written = writing(write_events, duty, incident, 3)
            finally:
                private_redis.signal(signal.SIGCONT)
            assert Event.objects.filter(seq__in=written).count() == len(written)
            expect_feed_to_show_every_event_since(screen, opened_at)

            private_redis.kill()                   # Redis gone: connections refused
            written = writing(write_events, duty, incident, 3)
            assert Event.objects.filter(seq__in=written).count() == len(written)
            private_redis.start()
            writing(report_incident, duty, township=Unit.objects.get(code="tw_xiacun"))
            expect_feed_to_show_every_event_since(screen, opened_at)
            expect(screen.locator("#live-status")).to_have_attribute("data-state", "connected")
            expect(screen.locator("#room-incidents tbody tr[data-incident]")).to_have_count(2)
            assert len(loads) == 0, "the command room reloaded"
        finally:
            context.close()
        assert "Exception in ASGI application" not in server.output(), server.output()


def writing(service, *args, **kwargs):
    """Run a write in a thread of its own, as a web request would: Playwright keeps an event
    loop running in this one, where the push (async_to_sync) cannot run."""
    def write():
        try:
            return service(*args, **kwargs)
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as thread:
        return thread.submit(write).result()


def write_events(actor, incident, count):
    """Continuation reports through the service, each in its own transaction."""
    seqs = []
    for number in range(count):
        with transaction.atomic():
            services.continuation_report_filed(
                actor=actor, incident=incident, summary=f"续报 {number}", measures="抢修中",
                figures=figures_of(incident))
        seqs.append(Event.objects.latest("seq").seq)
    return seqs


def expect_feed_to_show_every_event_since(page, seq, timeout=15):
    """Every event after `seq`, newest first, once each: the screen converges to the
    database."""
    expected = sorted(Event.objects.filter(seq__gt=seq).values_list("seq", flat=True),
                      reverse=True)

    def shown():
        return [shown for shown in feed_seqs(page) if shown > seq]

    if not wait_until(lambda: shown() == expected, timeout, step=0.25):
        assert shown() == expected


def test_level_one_drill_raises_the_banner_and_the_unit_acknowledges_live(
        browser, redis_url, settings, make_user):
    duty = make_user(PositionCode.DUTY_OFFICER)
    commander = make_user(PositionCode.COMMANDER)
    director = make_user(PositionCode.OFFICE_DIRECTOR)
    liaison = make_user(PositionCode.UNIT_LIAISON, unit_code="gaj")
    use_channel_layer(settings, redis_url)
    contexts = []
    with asgi_server(redis_url) as server:
        try:
            screen_context, screen, loads = open_command_room(browser, server, director)
            unit_context, unit = logged_in(browser, server, liaison)
            contexts += [screen_context, unit_context]
            unit.goto(f"{server.url}/command/unit/")
            expect(unit.locator("#live-status")).to_have_attribute("data-state", "connected")
            unit_fetches = watch_panel_fetches(unit)
            screen.click("[data-sound]")
            expect(screen.locator("[data-sound]")).to_have_attribute("aria-pressed", "true")

            incident = writing(report_incident, duty, is_drill=True)
            writing(response_services.response_started_directly, actor=commander,
                    incident=incident, level="I", reason="演练：万户停暖")

            banner = screen.locator("#alert-banner")
            expect(banner).to_be_visible(timeout=2000)
            expect(banner).to_contain_text("演练")
            expect(banner).to_contain_text("Ⅰ级响应")
            expect(screen.locator("#feed li").first.locator(".tag.drill")).to_be_visible()
            expect(screen.locator(f"tr[data-incident='{incident.pk}'] .tag.drill")).to_be_visible()
            screen.click("[data-dismiss-alert]")
            expect(banner).to_be_hidden()

            notice = unit.locator("#room-notices li[data-notice]")
            expect(notice).to_have_count(1, timeout=2000)
            assert unit_fetches == []  # pushed: its form has the page's CSRF token
            notice.locator("button").click()
            unit.wait_for_url(f"{server.url}/command/unit/")
            expect(unit.locator("#room-notices li[data-notice]")).to_have_count(0)
            gaj_groups = screen.locator("#room-groups li[data-group]", has_text="县公安局")
            expect(gaj_groups.first.locator(".ack-count")).to_have_text(re.compile(r"^1/"),
                                                                        timeout=2000)
            assert len(loads) == 0, "the command room reloaded"
        finally:
            for context in contexts:
                context.close()
