"""Who sees which phone numbers (README "Phone numbers"): the office and the leaders every
mobile; a township officer, an enterprise reporter or a member-unit liaison the duty phones,
whoever is on duty now and their own unit; the same on the page, the API, the exports and
the live feed."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from command_room.frames import frames_of
from directory import services
from directory.models import DutyShift, Person, Position, Unit
from timeline.models import Event

pytestmark = pytest.mark.django_db

LEADER_MOBILE = "13612340001"
ON_DUTY_MOBILE = "13612340002"
NEIGHBOUR_MOBILE = "13612340003"  # of the township officer's own township
FULL = ["commander", "deputy_commander", "office_director", "duty_officer", "administrator"]
RESTRICTED = ["township_officer", "enterprise_reporter", "unit_liaison"]


@pytest.fixture
def phones(plan):
    hq, fire, nancun = (Unit.objects.get(code=c) for c in ("hq", "fire", "tw_nancun"))
    leader = Person.objects.create(name="县长甲", unit=hq, mobile=LEADER_MOBILE)
    leader.holdings.create(position=Position.objects.get(code="commander"))
    on_duty = Person.objects.create(name="值班乙", unit=fire, mobile=ON_DUTY_MOBILE)
    now = timezone.now()
    DutyShift.objects.create(unit=fire, person=on_duty, starts_at=now - timedelta(hours=1),
                             ends_at=now + timedelta(hours=23))
    Person.objects.create(name="镇干部丙", unit=nancun, mobile=NEIGHBOUR_MOBILE)
    return fire


def seen_on_page(client):
    html = client.get("/directory/").content.decode()
    return {m for m in (LEADER_MOBILE, ON_DUTY_MOBILE, NEIGHBOUR_MOBILE) if m in html}, html


def api_mobiles(client):
    rows = client.get("/api/directory/people/", {"limit": 500}).json()
    rows = rows["results"] if isinstance(rows, dict) else rows
    return {row["name"]: (row["mobile"], row["mobile_hidden"]) for row in rows}


def exported(client):
    text = client.get("/directory/export.csv").content.decode("utf-8")
    book = load_workbook(io.BytesIO(client.get("/directory/export.xlsx").content)).active
    cells = [str(c) for row in book.iter_rows(values_only=True) for c in row if c]
    return text + " ".join(cells) + " ".join(",".join(r) for r in csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("position", FULL)
def test_the_office_and_the_leaders_see_every_mobile(client_as, phones, position):
    client, _ = client_as(position)
    seen, _html = seen_on_page(client)
    assert seen == {LEADER_MOBILE, ON_DUTY_MOBILE, NEIGHBOUR_MOBILE}
    assert api_mobiles(client)["县长甲"] == (LEADER_MOBILE, False)
    assert LEADER_MOBILE in exported(client)


@pytest.mark.parametrize("position", RESTRICTED)
def test_other_readers_see_duty_phones_and_their_own_unit_only(client_as, phones, position):
    client, _ = client_as(position)
    seen, html = seen_on_page(client)
    own_unit = {NEIGHBOUR_MOBILE} if position == "township_officer" else set()
    assert seen == {ON_DUTY_MOBILE} | own_unit
    assert phones.duty_phone and phones.duty_phone in html  # the units' duty phones stay
    assert "data-mobile-hidden" in html
    api = api_mobiles(client)
    assert api["县长甲"] == ("", True)
    assert api["值班乙"] == (ON_DUTY_MOBILE, False)
    assert (api["镇干部丙"][0] == NEIGHBOUR_MOBILE) == (position == "township_officer")
    text = exported(client)
    assert LEADER_MOBILE not in text and ON_DUTY_MOBILE in text
    # Nor can a hidden number be found by searching for it, digit by digit.
    assert client.get("/api/directory/people/", {"q": ON_DUTY_MOBILE}).json()["count"] == 1
    for part in (LEADER_MOBILE, LEADER_MOBILE[-5:]):
        assert client.get("/api/directory/people/", {"q": part}).json()["count"] == 0
        assert "县长甲" not in client.get("/directory/", {"q": part}).content.decode()
    unit = client.get("/directory/units/hq/")
    assert unit.status_code == 200 and "县长甲" in unit.content.decode()
    assert unit.content.decode().count(LEADER_MOBILE) == 0


def test_the_live_feed_never_carries_a_mobile_number(client_as, make_user, phones):
    admin = make_user("administrator")
    leader = Person.objects.get(name="县长甲")
    leader.mobile = "13612349999"
    services.person_saved(actor=admin, person=leader)
    event = Event.objects.get(kind="directory.person.updated", subject_id=str(leader.pk))
    assert event.new["mobile"] == "13612349999"  # the audit trail keeps it
    frame, = frames_of([event])
    assert frame["old"] == {"mobile": "***"} and frame["new"] == {"mobile": "***"}
    client, _ = client_as("township_officer")
    answer = client.get("/api/timeline/events/", {"after": event.seq - 1})
    row, = [e for e in answer.json() if e["seq"] == event.seq]
    assert row["old"] == {"mobile": "***"} and row["new"] == {"mobile": "***"}
    body = answer.content.decode()
    assert "13612349999" not in body and LEADER_MOBILE not in body
