"""The live screens' panels come on their sockets (command_room.panel_push): after an event, one
render per kind of screen, audience, units and language, sent to every socket showing it; a
burst of events makes one render, not one each; a screen the event does not concern gets none.
End to end: a real Uvicorn, real Redis, real WebSocket clients."""

import json
import re
import time

import pytest
from django.db import transaction
from django.test import Client
from websockets.sync.client import connect

from directory.choices import PositionCode
from directory.models import Unit
from response import services as response_services
from tests.incident_helpers import report_incident
from tests.live_helpers import asgi_server, session_cookie, use_channel_layer
from timeline.selectors import latest_seq

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def server(redis_url, django_db_setup, django_db_blocker):
    with asgi_server(redis_url) as running:
        yield running


@pytest.fixture(autouse=True)
def pushes(settings, redis_url):
    use_channel_layer(settings, redis_url)


def screen(server, user, query):
    _client, cookie = session_cookie(user)
    socket = connect(f"{server.ws_url}/ws/timeline/?{query}", open_timeout=10,
                     additional_headers={"Origin": server.url, "Cookie": cookie})
    time.sleep(0.3)  # let the consumer join
    return socket


def panels_frames(socket, seconds):
    received = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            frame = json.loads(socket.recv(timeout=left))
        except TimeoutError:
            break
        if frame["type"] == "panels":
            received.append(frame)
    return received


def held(frames):
    """The HTML a browser that took every one of these frames shows (live.js's rule): a
    whole render, or what changed since the render it holds."""
    tag, chunks = "", []
    for frame in frames:
        if frame.get("same"):  # the render held is still true
            assert frame["tag"] in (tag, "")
            continue
        if "diff" in frame:
            assert frame["base"] == tag
            chunks = [chunk for part in frame["diff"] for chunk in (
                chunks[part[0]:part[1]] if isinstance(part, list) else [part])]
        else:
            chunks = frame["chunks"]
        tag = frame["tag"]
    return "".join(chunks)


def without_tags(html):
    return re.sub(r'data-panels-render="[^"]*"', "", html)


def test_screens_of_one_audience_get_the_same_pushed_panels_after_an_event(server, make_user):
    duty, director = make_user(PositionCode.DUTY_OFFICER), make_user(PositionCode.OFFICE_DIRECTOR)
    with screen(server, duty, "panels=room&lang=zh-hans") as first, \
            screen(server, director, "panels=room&lang=zh-hans") as second, \
            screen(server, duty, "panels=room&lang=en") as english, \
            screen(server, duty, "") as fetching:
        incident = report_incident(duty)
        seq = latest_seq()
        mine, theirs = panels_frames(first, 3), panels_frames(second, 1)
        in_english, none = panels_frames(english, 1), panels_frames(fetching, 1)
    assert mine and mine == theirs  # the same text: one render for both
    assert mine[-1]["seq"] >= seq
    assert f'data-incident="{incident.pk}"' in held(mine)
    assert "南村镇" in held(mine) and "Incidents in progress" in held(in_english)
    assert "<html" not in held(mine)
    assert none == []  # a page that did not ask for panels (the incident page) fetches its own


def test_a_burst_of_events_makes_one_render_not_one_each(server, make_user):
    duty = make_user(PositionCode.DUTY_OFFICER)
    with screen(server, duty, "panels=wall") as wall:
        with transaction.atomic():
            incidents = [report_incident(duty) for _ in range(4)]
        seq = latest_seq()
        received = panels_frames(wall, 3)
    assert 1 <= len(received) <= 2 and received[-1]["seq"] == seq
    assert all(f'data-incident="{incident.pk}"' in held(received) for incident in incidents)


def test_a_screen_is_sent_what_changed_and_then_shows_what_a_fetch_would(server, make_user):
    duty = make_user(PositionCode.DUTY_OFFICER)
    for _ in range(5):
        report_incident(duty)
    with screen(server, duty, "panels=room") as room:
        report_incident(duty)
        whole = panels_frames(room, 3)
        changed = report_incident(duty, township=Unit.objects.get(code="tw_xiacun"))
        change = panels_frames(room, 3)
    client = Client()
    client.force_login(duty)
    fetched = client.get(f"/command/?panels=1&seq={latest_seq()}").content.decode()
    assert "chunks" in whole[0] and [("diff" in frame) for frame in change] == [True]
    assert len(json.dumps(change[0])) < len(json.dumps(whole[0])) / 3
    shown = held(whole + change)
    assert f'data-incident="{changed.pk}"' in shown
    assert without_tags(shown) == without_tags(fetched)


def test_a_screen_the_event_does_not_concern_gets_no_panels(server, make_user):
    duty = make_user(PositionCode.DUTY_OFFICER)
    officer = make_user(PositionCode.TOWNSHIP_OFFICER, unit_code="tw_nancun")
    with screen(server, officer, "panels=room") as township:
        panels_frames(township, 1)  # whatever the setup's own events brought (the directory's)
        report_incident(duty, township=Unit.objects.get(code="tw_xiacun"))
        elsewhere = panels_frames(township, 2)
        own = report_incident(duty)
        received = panels_frames(township, 3)
    assert elsewhere == []
    assert f'data-incident="{own.pk}"' in held(received)
    assert "下村镇" not in held(received)


def test_a_unit_dashboard_is_pushed_its_units_panels_without_a_csrf_token(server, make_user):
    duty, commander = make_user(PositionCode.DUTY_OFFICER), make_user(PositionCode.COMMANDER)
    liaison = make_user(PositionCode.UNIT_LIAISON, unit_code="gaj")
    with screen(server, liaison, "panels=unit") as unit, \
            screen(server, duty, "panels=unit") as not_a_liaison:
        incident = report_incident(duty)
        response_services.response_started_directly(
            actor=commander, incident=incident, level="I", reason="寒潮")
        received = panels_frames(unit, 3)
        refused = panels_frames(not_a_liaison, 1)
    html = held(received)
    assert 'id="room-notices"' in html and f"#{incident.pk}" in html
    assert 'name="csrfmiddlewaretoken" value=""' in html  # the page's token fills it
    assert refused == []


def test_every_event_a_screen_sees_is_followed_by_panels_at_least_as_new(server, make_user):
    duty = make_user(PositionCode.DUTY_OFFICER)
    officer = make_user(PositionCode.TOWNSHIP_OFFICER, unit_code="tw_nancun")
    xiacun = Unit.objects.get(code="tw_xiacun")
    with screen(server, officer, "panels=room") as township, \
            screen(server, duty, "panels=room") as county:
        seqs = []
        for township_unit in [None, xiacun, None, None, xiacun, None]:
            report_incident(duty, **({"township": township_unit} if township_unit else {}))
            seqs.append(latest_seq())
            time.sleep(0.4)
        received = {"township": all_frames(township, 3), "county": all_frames(county, 1)}
    for name, frames in received.items():
        seen = [f["seq"] for f in frames if f["type"] == "event"]
        panels = [f["seq"] for f in frames if f["type"] == "panels"]
        assert seen and all(any(p >= seq for p in panels) for seq in seen), (name, seen, panels)
    assert held([f for f in received["county"] if f["type"] == "panels"])



def all_frames(socket, seconds):
    received, deadline = [], time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            received.append(json.loads(socket.recv(timeout=left)))
        except TimeoutError:
            break
    return received
