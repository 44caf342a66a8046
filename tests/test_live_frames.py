"""What live views receive and who receives it: the frame of each event, the alerts, drills
marked, the same visibility on the socket and in the catch-up API for every position, the
command-room pages, and writes that go on when Redis does not answer."""

import time

import pytest
from django.db import transaction

from command_room import push
from command_room.audience import Audience
from command_room.frames import alert_of, frames_of
from directory.choices import PositionCode
from directory.models import Unit
from early_warnings import services as warning_services
from response import services as response_services
from tests.conftest import ALL_POSITIONS
from tests.incident_helpers import report_incident
from tests.live_helpers import use_channel_layer, wait_until
from tests.warning_helpers import complete_draft
from timeline.models import Event
from timeline.services import append_event

COUNTY_READERS = [PositionCode.COMMANDER, PositionCode.DEPUTY_COMMANDER,
                  PositionCode.OFFICE_DIRECTOR, PositionCode.DUTY_OFFICER,
                  PositionCode.UNIT_LIAISON]


@pytest.mark.parametrize(("kind", "new", "alert"), [
    ("deadline.overdue", {"kind": "written_report"}, "overdue"),
    ("deadline.reminder", {"kind": "written_report"}, None),
    ("response.started", {"level": "I"}, "level_i"),
    ("response.started", {"level": "II"}, None),
    ("response.level_changed", {"level": "I"}, "level_i"),
    ("response.level_changed", {"level": "III"}, None),
    ("response.proposed", {"level": "I"}, None),
    ("warning.issued", {"level": "major"}, "major_warning"),
    ("warning.updated", {"level": "major"}, "major_warning"),
    ("warning.issued", {"level": "larger"}, None),
    ("warning.submitted", {"level": "major"}, None),
])
def test_what_draws_attention(kind, new, alert):
    assert alert_of(Event(kind=kind, new=new)) == alert


def test_a_frame_says_what_the_screen_shows(make_user):
    duty = make_user(PositionCode.DUTY_OFFICER)
    commander = make_user(PositionCode.COMMANDER)
    incident = report_incident(duty, reporter_unit=Unit.objects.get(code="ent_demo1"),
                               is_drill=True)
    response = response_services.response_started_directly(
        actor=commander, incident=incident, level="I", reason="演练")
    frame = frames_of([Event.objects.get(kind="response.started")])[0]
    noticed = set(response.notices.values_list("unit", flat=True))
    assert frame["drill"] is True and frame["alert"] == "level_i"
    assert frame["incident"] == incident.pk
    assert frame["township"] == incident.township_id
    assert frame["reporter_unit"] == incident.reporter_unit_id
    assert set(frame["units"]) == noticed | {incident.township_id, incident.reporter_unit_id}
    assert frame["text"]["zh-hans"].startswith(f"#{incident.pk} 南村镇：")
    assert "指挥长决定直接启动Ⅰ级响应" in frame["text"]["zh-hans"]
    assert "Level Ⅰ started directly by the commander" in frame["text"]["en"]


def test_a_drill_warning_is_marked_and_a_real_one_is_not(make_user):
    director = make_user(PositionCode.OFFICE_DIRECTOR)
    drill = complete_draft(director, is_drill=True)
    real = complete_draft(director)
    frames = {f["subject_id"]: f for f in frames_of(Event.objects.filter(kind="warning.drafted"))}
    assert frames[str(drill.pk)]["drill"] is True
    assert frames[str(real.pk)]["drill"] is False


@pytest.fixture
def every_kind_of_event(make_user):
    """Events of two townships' incidents (one from an enterprise), a draft and an issued
    warning, a directory change and a locked-out login."""
    duty = make_user(PositionCode.DUTY_OFFICER)
    report_incident(duty, reporter_unit=Unit.objects.get(code="ent_demo1"))
    report_incident(duty, township=Unit.objects.get(code="tw_xiacun"))
    director = make_user(PositionCode.OFFICE_DIRECTOR)
    complete_draft(director)
    issued = warning_services.warning_submitted(actor=director,
                                                warning=complete_draft(director, level="general"))
    warning_services.warning_approved(actor=director, warning=issued)
    unit = Unit.objects.get(code="gaj")
    append_event(actor=None, kind="directory.unit.updated", subject=unit, new={"order": 99})
    append_event(actor=None, kind="auth.locked_out", subject_ref=("auth.user", "", "someone"),
                 new={"username": "someone", "ip_address": "10.0.0.9"})
    return Event.objects.order_by("seq")


def kinds_seen(frames):
    return {(frame["kind"].split(".")[0], frame["township"]) for frame in frames}


@pytest.mark.parametrize("position", ALL_POSITIONS)
def test_the_socket_and_the_catch_up_api_show_a_position_the_same_events(
        every_kind_of_event, client, make_user, position):
    user = make_user(position)
    client.force_login(user)
    answer = client.get("/api/timeline/events/?after=0").json()
    audience = Audience.of(user)
    on_socket = [f["seq"] for f in frames_of(every_kind_of_event) if audience.sees(f)]
    assert [frame["seq"] for frame in answer] == on_socket

    nancun, xiacun = (Unit.objects.get(code=code).pk for code in ("tw_nancun", "tw_xiacun"))
    seen = kinds_seen(answer)
    if position in COUNTY_READERS:
        assert len(answer) == every_kind_of_event.count()
    elif position in (PositionCode.TOWNSHIP_OFFICER, PositionCode.ENTERPRISE_REPORTER):
        assert ("incident", nancun) in seen and ("incident", xiacun) not in seen
        assert ("warning", None) in seen and ("directory", None) in seen
        warning_kinds = {frame["kind"] for frame in answer if frame["kind"].startswith("warning.")}
        assert warning_kinds == {"warning.issued"}  # no draft, nothing pending
        assert ("auth", None) not in seen
    else:  # the administrator: the directory, playbooks and accounts; no incident, no warning
        assert {("directory", None), ("auth", None)} <= seen
        assert all(frame["incident"] is None for frame in answer)
        assert all(frame["kind"].startswith(("directory.", "response.playbookitem.", "auth."))
                   for frame in answer)


def test_command_room_pages_by_position(client, make_user, plan):
    for position in ALL_POSITIONS:
        client.force_login(make_user(position))
        room = client.get("/command/").status_code
        unit = client.get("/command/unit/").status_code
        assert room == (403 if position == PositionCode.ADMINISTRATOR else 200), position
        assert unit == (200 if position == PositionCode.UNIT_LIAISON else 403), position


def test_the_command_room_shows_incidents_responses_and_clocks(client, make_user):
    duty = make_user(PositionCode.DUTY_OFFICER)
    commander = make_user(PositionCode.COMMANDER)
    quiet = report_incident(duty, township=Unit.objects.get(code="tw_xiacun"))
    busy = report_incident(duty)
    response_services.response_started_directly(actor=commander, incident=busy, level="I",
                                                 reason="测试")
    client.force_login(make_user(PositionCode.OFFICE_DIRECTOR))
    panels = client.get("/command/?panels=1").content.decode()
    assert "<html" not in panels
    busy_row = panels[panels.index(f'data-incident="{busy.pk}"'):]
    busy_row = busy_row[:busy_row.index("</tr>")]
    assert "Ⅰ级响应" in busy_row and "响应中" in busy_row
    assert 'data-kind="written_report"' in busy_row and "通知已确认 0/" in busy_row
    assert panels.index(f'data-incident="{busy.pk}"') < panels.index(
        f'data-incident="{quiet.pk}"')  # Level Ⅰ first
    assert 'class="response-groups"' in panels
    assert panels.count('class="on-duty"') == 1 and "值班中：" in panels


def test_a_member_units_dashboard_shows_only_what_concerns_its_units(client, make_user):
    duty = make_user(PositionCode.DUTY_OFFICER)
    commander = make_user(PositionCode.COMMANDER)
    noticed = report_incident(duty)
    response = response_services.response_started_directly(
        actor=commander, incident=noticed, level="I", reason="测试")
    other = report_incident(duty, township=Unit.objects.get(code="tw_xiacun"))
    unit = response.notices.first().unit
    liaison = make_user(PositionCode.UNIT_LIAISON, unit_code=unit.code)
    client.force_login(liaison)
    page = client.get("/command/unit/").content.decode()
    assert f'data-incident="{noticed.pk}"' in page
    assert f'data-incident="{other.pk}"' not in page
    assert f'data-units="{unit.pk}"' in page
    notice = response.notices.get(unit=unit)
    assert f'data-notice="{notice.pk}"' in page
    answer = client.post(f"/response/notices/{notice.pk}/acknowledge/",
                         {"next": "/command/unit/"})
    assert answer.status_code == 302 and answer.url == "/command/unit/"
    assert f'data-notice="{notice.pk}"' not in client.get("/command/unit/").content.decode()
    item = response.checklist.first()
    evil = client.post(f"/response/items/{item.pk}/mark/", {"next": "https://evil.example/"})
    # bad input (no status): the unit's page again with why, never another site
    assert evil.status_code == 400 and not evil.has_header("Location")
    assert "evil.example" not in evil.content.decode()


@pytest.mark.django_db(transaction=True)
def test_writes_go_on_when_redis_does_not_answer(settings, make_user, caplog):
    duty = make_user(PositionCode.DUTY_OFFICER)
    use_channel_layer(settings, "redis://127.0.0.1:9/0")  # nothing listens there
    started = time.monotonic()
    first = report_incident(duty)
    second = report_incident(duty)
    assert time.monotonic() - started < 5
    assert Event.objects.filter(incident__in=[first, second]).count() == 2

    def failures():  # logged by the push's own thread, which the writes did not wait for
        return [r for r in caplog.records if r.name == "command_room.push"]

    assert wait_until(failures, 5)
    time.sleep(0.5)  # the second write's push, if it was tried, has failed by now too
    failures = failures()
    assert len(failures) == 1  # then pushes pause instead of failing every write
    assert "pause" in failures[0].getMessage()


@pytest.mark.django_db(transaction=True)
def test_nothing_is_pushed_for_a_transaction_that_rolls_back(settings, make_user, monkeypatch):
    duty = make_user(PositionCode.DUTY_OFFICER)
    pushed = []
    monkeypatch.setattr(push, "push", pushed.append)
    with pytest.raises(RuntimeError), transaction.atomic():
        report_incident(duty)
        raise RuntimeError("the service failed after writing its event")
    assert pushed == [] and not Event.objects.filter(kind="incident.reported").exists()
