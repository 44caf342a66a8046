"""The live screens' panels are rendered once per event and audience (command_room.panels):
every screen of the same audience is served the same render, screens of different audiences
never share one, a new event renders anew, and the unit dashboard's forms keep each session's
own CSRF token."""

import re
import threading
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.test.signals import template_rendered
from django.utils import timezone

from command_room.panels import CSRF_PLACEHOLDER, Render, _render_until, shared_render
from command_room.selectors import office_on_duty
from directory.choices import PositionCode
from directory.models import DutyShift, Person, Unit
from response import services as response_services
from response.models import Notice
from tests.incident_helpers import report_incident
from timeline.selectors import latest_seq

ROOM = "command_room/_panels.html"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
RENDER_TAG = re.compile(r'data-panels-render="([^"]+)"')


@pytest.fixture
def renders():
    """renders[template name] → how many times it was rendered since the test began."""
    counted = {}

    def count(sender, template, **kwargs):
        counted[template.name] = counted.get(template.name, 0) + 1

    template_rendered.connect(count)
    yield counted
    template_rendered.disconnect(count)


def panels(user, url="/command/?panels=1", client=None):
    client = client or Client()
    client.force_login(user)
    answer = client.get(url)
    assert answer.status_code == 200
    return answer.content.decode()


def test_screens_of_one_audience_are_served_one_render(make_user, renders):
    duty = make_user(PositionCode.DUTY_OFFICER)
    director = make_user(PositionCode.OFFICE_DIRECTOR)
    incident = report_incident(duty)
    seq = latest_seq()
    first = panels(duty, f"/command/?panels=1&seq={seq}")
    assert panels(director, f"/command/?panels=1&seq={seq}") == first
    assert panels(director) == first  # no seq: as new as the latest event, which it is
    assert renders[ROOM] == 1
    assert f'data-incident="{incident.pk}"' in first
    wall = panels(duty, "/command/wall/?panels=1")
    assert panels(director, "/command/wall/?panels=1") == wall
    assert renders["command_room/_wall_panels.html"] == 1


def test_a_new_event_renders_the_panels_anew(make_user, renders):
    duty = make_user(PositionCode.DUTY_OFFICER)
    report_incident(duty)
    before = latest_seq()
    panels(duty, f"/command/?panels=1&seq={before}")
    second = report_incident(duty, place="西街换热站")
    after = latest_seq()
    fresh = panels(duty, f"/command/?panels=1&seq={after}")
    assert renders[ROOM] == 2
    assert f'data-incident="{second.pk}"' in fresh and f'data-panels-seq="{after}"' in fresh
    # A screen still at the older event is answered by the newer render.
    assert panels(duty, f"/command/?panels=1&seq={before}") == fresh
    assert renders[ROOM] == 2


def test_a_township_officer_never_shares_the_offices_render(make_user, renders):
    duty = make_user(PositionCode.DUTY_OFFICER)
    township = make_user(PositionCode.TOWNSHIP_OFFICER)  # at tw_nancun
    own = report_incident(duty)
    elsewhere = report_incident(duty, township=Unit.objects.filter(kind="township").exclude(
        code="tw_nancun").first(), place="北关换热站")
    seq = latest_seq()
    office = panels(duty, f"/command/?panels=1&seq={seq}")
    theirs = panels(township, f"/command/?panels=1&seq={seq}")
    assert renders[ROOM] == 2
    assert f'data-incident="{elsewhere.pk}"' in office
    assert f'data-incident="{elsewhere.pk}"' not in theirs
    assert f'data-incident="{own.pk}"' in theirs


def test_each_unit_dashboard_carries_its_own_sessions_csrf_token(make_user, renders, plan):
    duty, commander = make_user(PositionCode.DUTY_OFFICER), make_user(PositionCode.COMMANDER)
    first = make_user(PositionCode.UNIT_LIAISON, unit_code="gaj")
    second = make_user(PositionCode.UNIT_LIAISON, unit_code="gaj")
    incident = report_incident(duty)
    response_services.response_started_directly(
        actor=commander, incident=incident, level="I", reason="寒潮")
    notice = Notice.objects.get(response__incident=incident, unit__code="gaj")
    strict = Client(enforce_csrf_checks=True)
    mine = panels(first, "/command/unit/?panels=1")
    theirs = panels(second, "/command/unit/?panels=1", client=strict)
    assert renders[ROOM] == 1
    assert f'data-notice="{notice.pk}"' in theirs and CSRF_PLACEHOLDER not in theirs
    assert TOKEN.sub("", mine) == TOKEN.sub("", theirs)
    answer = strict.post(f"/response/notices/{notice.pk}/acknowledge/", {
        "csrfmiddlewaretoken": TOKEN.search(theirs).group(1), "next": "/command/unit/"})
    assert answer.status_code == 302
    notice.refresh_from_db()
    assert notice.acknowledged_at is not None
    assert f'data-notice="{notice.pk}"' not in panels(second, "/command/unit/?panels=1")


def test_without_sharing_every_request_renders(make_user, renders, settings):
    settings.LIVE_PANELS_SHARED = False
    duty = make_user(PositionCode.DUTY_OFFICER)
    report_incident(duty)
    first, second = panels(duty), panels(duty)
    assert RENDER_TAG.sub("", first) == RENDER_TAG.sub("", second)
    assert RENDER_TAG.search(first).group(1) != RENDER_TAG.search(second).group(1)
    assert renders[ROOM] == 2


def test_concurrent_requests_for_one_render_wait_for_it():
    started, calls = threading.Barrier(8), []

    def render():
        calls.append(1)
        time.sleep(0.2)  # long enough for every thread to be waiting on this render
        return Render(5, "<div>5</div>", timezone.now() + timedelta(minutes=1), "t5")

    def request():
        started.wait()
        served.append(shared_render("panels:test", 5, render).html)

    served = []
    threads = [threading.Thread(target=request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert served == ["<div>5</div>"] * 8 and len(calls) == 1


def test_a_render_ends_at_the_next_change_of_duty_shift(plan):
    now = timezone.now()
    person = Person.objects.create(name="赵六", unit=Unit.objects.get(code="hq_office"),
                                   mobile="13900009999")
    shift = DutyShift.objects.create(unit=person.unit, person=person,
                                     starts_at=now + timedelta(seconds=20),
                                     ends_at=now + timedelta(hours=8))
    assert _render_until(now, office_on_duty(now)[1]) == shift.starts_at
    later = shift.starts_at
    assert office_on_duty(later)[0] == [shift]
    assert _render_until(later, office_on_duty(later)[1]) == later + timedelta(seconds=60)
    expired = Render(5, "old", now - timedelta(seconds=1), "t5")
    assert not expired.answers(5, now)
