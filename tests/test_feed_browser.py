"""The live feed in a real browser: a Level Ⅰ response's notice clocks falling due on every
unit read as one line per incident and clock naming the units, live and after a reload, on
the wall and on a unit's dashboard; a directory edit stays off the wall."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from directory.choices import PositionCode
from directory.models import Unit
from directory.services import directory_object_saved
from incidents.clocks import sweep_deadlines
from response import services as response_services
from tests.conftest import logged_in
from tests.incident_helpers import report_incident
from tests.live_helpers import asgi_server, use_channel_layer
from tests.test_command_room_browser import feed_seqs, open_command_room, writing
from timeline.models import Event

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def units_named(text):
    """The names inside "（县住建局、县公安局、县应急局等）"."""
    return re.search(r"（(.*)等）", text).group(1).split("、")


def test_many_units_overdue_show_as_one_line_naming_the_count_and_units(
        browser, redis_url, settings, make_user):
    duty = make_user(PositionCode.DUTY_OFFICER)
    commander = make_user(PositionCode.COMMANDER)
    director = make_user(PositionCode.OFFICE_DIRECTOR)
    admin = make_user(PositionCode.ADMINISTRATOR, is_staff=True)
    liaison = make_user(PositionCode.UNIT_LIAISON, unit_code="gaj")
    use_channel_layer(settings, redis_url)
    contexts = []
    with asgi_server(redis_url) as server:
        try:
            screen_context, screen, loads = open_command_room(browser, server, director)
            contexts.append(screen_context)

            incident = writing(report_incident, duty)
            response = writing(response_services.response_started_directly, actor=commander,
                               incident=incident, level="I", reason="万户停暖")
            unit = Unit.objects.get(code="gaj")
            unit.duty_phone = "0356-7654321"
            writing(directory_object_saved, actor=admin, instance=unit)
            units = set(response.notices.values_list("unit__short_name", flat=True))
            assert len(units) >= 17
            writing(sweep_deadlines, timezone.now() + timedelta(minutes=6))   # reminders
            writing(sweep_deadlines, timezone.now() + timedelta(minutes=16))  # overdue

            overdue = screen.locator(
                f"#feed li[data-group='deadline.overdue:notice_ack:{incident.pk}']")
            line = f"#{incident.pk} 南村镇：{len(units)}个单位启动通知确认超时（"
            expect(overdue).to_have_count(1, timeout=5000)
            expect(overdue).to_contain_text(line, timeout=5000)
            # Their escalations (notify: to the leader in charge, or straight to the office
            # director) are a line per step, not one per unit, among the newest lines.
            escalated = screen.locator("#feed li[data-group^='notice.escalated:']")
            expect(escalated.first).to_contain_text("个单位仍未确认启动通知，已逐级上报")
            assert 1 <= escalated.count() <= 2
            newest = screen.locator("#feed li").evaluate_all(
                "items => items.slice(0, 3).map(item => item.dataset.group)")
            assert f"deadline.overdue:notice_ack:{incident.pk}" in newest
            assert set(units_named(overdue.inner_text())) < units
            assert len(units_named(overdue.inner_text())) == 3
            reminded = screen.locator("#feed li[data-group^='deadline.reminder:']")
            expect(reminded).to_have_count(1)
            expect(reminded).to_contain_text(f"{len(units)}个单位启动通知确认剩余10分钟")
            expect(screen.locator("#feed li", has_text="时限已超时")).to_have_count(0)
            expect(screen.locator("#alert-banner .alert-text")).to_contain_text(line)

            edit = Event.objects.get(kind="directory.unit.updated").seq
            last = Event.objects.latest("seq").seq
            expect(screen.locator(f"#feed li[data-seq='{last}']")).to_have_count(1)
            assert edit not in feed_seqs(screen)
            shown_live = feed_seqs(screen)
            assert len(shown_live) <= 8
            assert len(loads) == 0, "the command room reloaded"

            screen.reload()  # the same lines from the history the page fetches
            expect(overdue).to_have_count(1, timeout=5000)
            expect(overdue).to_contain_text(line)
            expect(reminded).to_have_count(1)
            assert edit not in feed_seqs(screen)
            assert len(feed_seqs(screen)) == len(shown_live)

            unit_context, dashboard = logged_in(browser, server, liaison)
            contexts.append(unit_context)
            dashboard.goto(f"{server.url}/command/unit/")
            expect(dashboard.locator(
                f"#feed li[data-group='deadline.overdue:notice_ack:{incident.pk}']")
            ).to_contain_text(line, timeout=5000)
            expect(dashboard.locator(".bell .badge")).to_have_text("2")  # reminder, overdue
        finally:
            for context in contexts:
                context.close()
