"""The county map drawn in Chromium with every request outside the test server refused: the
schematic with one marker per active incident coloured by level and the warned township
shaded, then the administrator's boundaries in its place."""

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from directory import services as directory_services
from directory.choices import PositionCode
from directory.models import Unit
from early_warnings import services as warning_services
from response import services as response_services
from tests.conftest import logged_in
from tests.incident_helpers import report_incident
from tests.test_county_map import boundaries
from tests.warning_helpers import complete_draft

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parent.parent / "var"


def offline(page, live_server):
    """Refuse every request that does not go to the test server; the refused addresses."""
    refused = []
    own = urlsplit(live_server.url).netloc

    def route(route):
        if urlsplit(route.request.url).netloc == own:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    return refused


def test_the_map_draws_offline_with_incidents_and_warnings(browser, live_server, make_user):
    duty, commander = make_user(PositionCode.DUTY_OFFICER), make_user(PositionCode.COMMANDER)
    gaodu = Unit.objects.get(code="tw_gaodu")
    level_one = report_incident(duty)
    waiting = report_incident(duty, township=gaodu)
    response_services.response_started_directly(actor=commander, incident=level_one,
                                                level="I", reason="多处停暖")
    warning = complete_draft(duty, townships=[gaodu])
    warning_services.warning_submitted(actor=duty, warning=warning)
    warning_services.warning_approved(actor=commander, warning=warning)

    context, page = logged_in(browser, live_server, duty)
    try:
        refused = offline(page, live_server)
        page.goto(f"{live_server.url}/incidents/")
        expect(page.locator(".county-map[data-ready=true]")).to_have_count(1)
        markers = page.locator(".county-map .map-incident")
        expect(markers).to_have_count(2)
        expect(page.locator(f".map-incident[data-incident='{level_one.pk}']")).to_have_class(
            re.compile(r"\bmap-level-I\b"))
        expect(page.locator(f".map-incident[data-incident='{waiting.pk}']")).to_have_attribute(
            "data-township", "tw_gaodu")
        expect(page.locator(f".map-incident[data-incident='{waiting.pk}']")).to_have_class(
            re.compile(r"\bmap-level-none\b"))
        expect(page.locator("path.map-warning-larger")).to_have_count(1)
        expect(page.locator("path.map-area")).to_have_count(16)
        expect(page.locator(".county-map .map-label")).to_have_count(17)  # and 晋城市城区
        box = page.locator(".county-map").bounding_box()
        for index in range(2):
            marker = markers.nth(index).locator("span").bounding_box()
            assert box["x"] <= marker["x"] and marker["x"] + marker["width"] <= box["x"] + box["width"]
            assert box["y"] <= marker["y"] and marker["y"] + marker["height"] <= box["y"] + box["height"]
        page.locator(".county-map-figure").screenshot(path=str(SCREENSHOTS / "map-schematic.png"))
        assert refused == []

        admin = make_user(PositionCode.ADMINISTRATOR)
        directory_services.county_map_uploaded(
            actor=admin, source="测试界线", content=json.dumps(boundaries()).encode())
        page.goto(f"{live_server.url}/incidents/")
        expect(page.locator(".county-map[data-ready=true]")).to_have_count(1)
        expect(page.locator("path.map-area")).to_have_count(16)
        expect(page.locator(".county-map .map-label")).to_have_count(16)  # no landmark
        expect(page.locator(".county-map .map-incident")).to_have_count(2)
        expect(page.locator(".county-map-figure figcaption")).to_contain_text("测试界线")
        page.locator(".county-map-figure").screenshot(path=str(SCREENSHOTS / "map-boundaries.png"))
        assert refused == []
    finally:
        context.close()
