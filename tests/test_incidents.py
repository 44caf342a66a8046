"""Incidents and information reporting (plan §1.5, §4.1): grade, reports, upward reporting,
inquiries, the clocks and the sweep, and bad input from a duty officer at 3 a.m."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from directory.choices import PositionCode
from directory.models import DutyShift, Person, Unit
from incidents import clocks, services
from incidents.models import Deadline, Incident, Report
from tests.incident_helpers import (
    api_intake,
    complete_contents,
    figures_of,
    intake_form,
    report_incident,
)
from timeline.models import Event, Notification
from zezhou_heat.errors import StateConflict

pytestmark = pytest.mark.django_db


@pytest.fixture
def duty(make_user):
    return make_user(PositionCode.DUTY_OFFICER)


@pytest.fixture
def duty_client(client, duty):
    client.force_login(duty)
    return client


# --- intake and grade --------------------------------------------------------------------


def test_first_report_grades_the_incident_and_starts_the_written_report_clock(duty_client):
    response = duty_client.post("/incidents/new/", intake_form(deaths=3))
    incident = Incident.objects.get()
    assert response["Location"] == f"/incidents/{incident.pk}/"
    assert (incident.grade, incident.grade_criterion) == ("larger", "deaths")
    clock = Deadline.objects.get(incident=incident)
    assert clock.kind == "written_report"
    assert clock.due_at == incident.reported_at + timedelta(minutes=30)
    assert clock.remind_at == clock.due_at - timedelta(minutes=10)
    assert [r.kind for r in incident.reports.all()] == ["first"]
    page = duty_client.get(response["Location"]).content.decode()
    assert "较大" in page
    assert f'data-due="{timezone.localtime(clock.due_at).isoformat()[:16]}' in page
    assert "Ⅰ" in page  # 较大 → suggested Level Ⅰ


def test_a_drill_is_marked_as_a_drill(duty_client):
    duty_client.post("/incidents/new/", intake_form(is_drill="on"))
    incident = Incident.objects.get()
    assert incident.is_drill
    html = duty_client.get("/incidents/").content.decode()
    assert '<span class="tag drill">演练</span>' in html
    assert '<span class="tag drill">' in duty_client.get(f"/incidents/{incident.pk}/").content.decode()


@pytest.mark.parametrize("field, value, message", [
    ("deaths", "-1", "deaths"),
    ("deaths", "1.5", "deaths"),
    ("serious_injuries", "两人", "serious_injuries"),
    ("direct_loss", "二十万", "direct_loss"),
    ("direct_loss", "-5", "direct_loss"),
    ("township", "tw_nowhere", "township"),
    ("reporter_phone", "12345", "reporter_phone"),
])
def test_api_refuses_bad_figures_and_names_the_field(duty_client, field, value, message):
    events = Event.objects.count()
    response = duty_client.post("/api/incidents/", api_intake(**{field: value}),
                                content_type="application/json")
    assert response.status_code == 400
    assert message in response.json()
    assert Incident.objects.count() == 0 and Event.objects.count() == events


@pytest.mark.parametrize("changes, field", [
    ({"occurred_at": 60}, "occurred_at"),                     # in the future
    ({"reported_at": 60}, "reported_at"),                     # in the future
    ({"occurred_at": -5, "reported_at": -30}, "occurred_at"),  # after it was reported
])
def test_impossible_times_are_refused_with_the_field_named(duty_client, changes, field):
    now = timezone.now()
    data = api_intake(**{k: (now + timedelta(minutes=v)).isoformat() for k, v in changes.items()})
    response = duty_client.post("/api/incidents/", data, content_type="application/json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Incident.objects.exists() and not Deadline.objects.exists()


def test_the_intake_page_names_the_bad_field_in_chinese(duty_client):
    response = duty_client.post("/incidents/new/", intake_form(deaths="-2", direct_loss="abc"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "死亡人数: " in html and "直接经济损失" in html
    assert not Incident.objects.exists()


# --- reports ---------------------------------------------------------------------------------


def test_an_incomplete_written_report_is_a_draft_and_the_clock_runs_on(duty):
    incident = report_incident(duty)
    report = services.written_report_saved(
        actor=duty, incident=incident, contents=complete_contents(nearby_hazard_sources=""),
        figures=figures_of(incident))
    assert not report.is_complete and report.on_time is None
    assert Deadline.objects.get(incident=incident).met_at is None


def test_a_complete_written_report_stops_the_clock_on_time(duty):
    incident = report_incident(duty)
    report = services.written_report_saved(actor=duty, incident=incident,
                                           contents=complete_contents(),
                                           figures=figures_of(incident))
    clock = Deadline.objects.get(incident=incident)
    assert report.is_complete and report.on_time is True
    assert clock.met_at is not None and clock.state == "met"
    with pytest.raises(ValidationError, match="续报"):
        services.written_report_saved(actor=duty, incident=incident,
                                      contents=complete_contents(), figures=figures_of(incident))


def test_a_late_written_report_is_recorded_as_late(duty):
    incident = report_incident(duty, reported_at=timezone.now() - timedelta(minutes=40),
                               occurred_at=timezone.now() - timedelta(minutes=50))
    clocks.sweep_deadlines()
    report = services.written_report_saved(actor=duty, incident=incident,
                                           contents=complete_contents(),
                                           figures=figures_of(incident))
    clock = Deadline.objects.get(incident=incident)
    assert report.on_time is False and clock.met_late and clock.overdue_at is not None


def test_written_report_page_lists_what_is_missing(duty_client, duty):
    incident = report_incident(duty)
    form = {**{k: v for k, v in complete_contents(warnings_issued="", support_needed="").items()},
            **figures_of(incident)}
    response = duty_client.post(f"/incidents/{incident.pk}/written/", form, follow=True)
    html = response.content.decode()
    assert "草稿已保存，仍缺少" in html and "警报发布情况" in html
    assert [e.key for e in response.context["missing"]] == ["warnings_issued", "support_needed"]


def test_a_bad_phone_in_the_written_report_is_named(duty):
    incident = report_incident(duty)
    with pytest.raises(ValidationError) as error:
        services.written_report_saved(actor=duty, incident=incident,
                                      contents=complete_contents(site_leader_phone="555"),
                                      figures=figures_of(incident))
    assert "site_leader_phone" in error.value.message_dict
    assert not Report.objects.filter(kind="written").exists()


def test_continuation_reports_are_numbered_and_regrade_the_incident(duty):
    incident = report_incident(duty)
    first = services.continuation_report_filed(actor=duty, incident=incident, summary="抢修中",
                                               measures="关阀", figures=figures_of(incident))
    second = services.continuation_report_filed(
        actor=duty, incident=incident, summary="发现2名伤员死亡", measures="",
        figures=figures_of(incident, deaths=3))
    assert (first.number, second.number) == (1, 2)
    assert (str(first.title), str(second.title)) == ("续报一", "续报二")
    incident.refresh_from_db()
    assert incident.grade == "larger" and incident.deaths == 3
    grade_change = Event.objects.get(kind="incident.grade_changed", incident=incident)
    assert grade_change.old["grade"] == "general" and grade_change.new["grade"] == "larger"
    assert Event.objects.get(kind="incident.figures_changed").new == {"deaths": 3}


def test_after_the_final_report_no_report_is_accepted(duty, duty_client):
    incident = report_incident(duty)
    services.final_report_filed(actor=duty, incident=incident, summary="处置结束", measures="",
                                figures=figures_of(incident))
    response = duty_client.post(f"/api/incidents/{incident.pk}/reports/", {
        "kind": "continuation", "summary": "补充", **figures_of(incident)},
        content_type="application/json")
    assert response.status_code == 400
    assert "终报" in " ".join(response.json()["kind"])
    assert not Report.objects.filter(kind="continuation").exists()


def test_a_continuation_report_needs_a_summary(duty, duty_client):
    incident = report_incident(duty)
    response = duty_client.post(f"/api/incidents/{incident.pk}/reports/", {
        "kind": "continuation", "summary": "", **figures_of(incident)},
        content_type="application/json")
    assert response.status_code == 400 and "summary" in response.json()


# --- upward reporting and inquiries ---------------------------------------------------------


def test_skipping_a_level_is_marked(duty):
    incident = report_incident(duty)
    now = timezone.now()
    to_city = services.upward_report_recorded(actor=duty, incident=incident,
                                              recipient="city_department", channel="phone",
                                              sent_at=now - timedelta(minutes=5))
    to_county = services.upward_report_recorded(actor=duty, incident=incident,
                                                recipient="county_government", channel="phone",
                                                sent_at=now - timedelta(minutes=4))
    city_again = services.upward_report_recorded(actor=duty, incident=incident,
                                                 recipient="city_headquarters", channel="fax",
                                                 sent_at=now)
    assert (to_city.skipped_level, to_county.skipped_level, city_again.skipped_level) == (
        True, False, False)


def test_an_inquiry_has_its_own_clock_and_one_reply(duty, duty_client):
    incident = report_incident(duty)
    asked = timezone.now() - timedelta(minutes=3)
    inquiry = services.inquiry_recorded(actor=duty, incident=incident, asked_by="市住建局",
                                        asked_at=asked, question="伤员情况？")
    assert inquiry.deadline.due_at == asked + timedelta(minutes=30)
    response = duty_client.post(
        f"/api/incidents/{incident.pk}/inquiries/{inquiry.pk}/reply/", {"reply": "1人烫伤，已送医"},
        content_type="application/json")
    assert response.status_code == 200
    assert Deadline.objects.get(inquiry=inquiry).met_at is not None
    again = duty_client.post(f"/api/incidents/{incident.pk}/inquiries/{inquiry.pk}/reply/",
                             {"reply": "再答"}, content_type="application/json")
    assert again.status_code == 400 and "reply" in again.json()


# --- the clocks ------------------------------------------------------------------------------


def test_the_sweep_marks_an_overdue_clock_once_and_tells_the_people_on_call(duty, make_user):
    director = make_user(PositionCode.OFFICE_DIRECTOR)
    off_shift = make_user(PositionCode.DUTY_OFFICER)
    now = timezone.now()
    DutyShift.objects.create(unit=duty.person.unit, person=duty.person,
                             starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1))
    incident = report_incident(duty, reported_at=now - timedelta(minutes=31),
                               occurred_at=now - timedelta(minutes=40))
    assert clocks.sweep_deadlines() == (0, 1)
    assert clocks.sweep_deadlines() == (0, 0)
    clock = Deadline.objects.get(incident=incident)
    assert clock.state == "overdue"
    overdue = Event.objects.get(kind="deadline.overdue")
    assert overdue.incident == incident
    told = set(Notification.objects.filter(event=overdue).values_list("recipient", flat=True))
    assert told == {duty.pk, director.pk}  # not the duty officer who is off shift
    assert off_shift.pk not in told
    assert not Event.objects.filter(kind="deadline.reminder").exists()  # overdue, no reminder


def test_a_clock_is_marked_overdue_at_the_moment_it_is_marked(duty):
    """The overdue time measures lateness: it is when the sweep marked the clock (before its
    event was written), neither when the clock fell due nor the time the sweep was asked for."""
    now = timezone.now()
    incident = report_incident(duty, reported_at=now - timedelta(minutes=31),
                               occurred_at=now - timedelta(minutes=40))
    before = timezone.now()
    assert clocks.sweep_deadlines(now + timedelta(hours=1)) == (0, 1)
    clock = Deadline.objects.get(incident=incident)
    overdue = Event.objects.get(kind="deadline.overdue", incident=incident)
    assert clock.due_at < before <= clock.overdue_at <= overdue.occurred_at


def test_a_reminder_fires_once_ten_minutes_before(duty):
    now = timezone.now()
    incident = report_incident(duty, reported_at=now - timedelta(minutes=21),
                               occurred_at=now - timedelta(minutes=30))
    assert clocks.sweep_deadlines() == (1, 0)
    assert clocks.sweep_deadlines() == (0, 0)
    assert Deadline.objects.get(incident=incident).reminded_at is not None


def test_a_met_clock_is_never_marked_overdue(duty):
    incident = report_incident(duty)
    services.written_report_saved(actor=duty, incident=incident, contents=complete_contents(),
                                  figures=figures_of(incident))
    assert clocks.sweep_deadlines(timezone.now() + timedelta(hours=1)) == (0, 0)


def test_the_list_filters_overdue_incidents(duty, duty_client):
    now = timezone.now()
    late = report_incident(duty, reported_at=now - timedelta(minutes=31),
                           occurred_at=now - timedelta(minutes=40))
    report_incident(duty, township=Unit.objects.get(code="tw_xiacun"))
    clocks.sweep_deadlines()
    listed = duty_client.get("/incidents/", {"overdue": "true"}).context["page"]
    assert [i.pk for i in listed] == [late.pk]
    api = duty_client.get("/api/incidents/", {"overdue": "true"}).json()
    assert [i["id"] for i in api["results"]] == [late.pk]


# --- lifecycle -------------------------------------------------------------------------------

TRANSITIONS = ["begin_response", "bring_under_control", "close"]
MAY_MANAGE = {PositionCode.COMMANDER, PositionCode.DEPUTY_COMMANDER, PositionCode.OFFICE_DIRECTOR}
ALLOWED_FROM = {"begin_response": {"reported"}, "bring_under_control": {"responding"},
                "close": {"final_reported"}}
STATES = ["reported", "responding", "under_control", "final_reported", "closed"]


def incident_in(state, actor):
    incident = report_incident(actor, reporter_unit=Unit.objects.get(code="ent_demo1"))
    services.final_report_filed(actor=actor, incident=incident, summary="结束", measures="",
                                figures=figures_of(incident))
    Incident.objects.filter(pk=incident.pk).update(status=state)
    return Incident.objects.get(pk=incident.pk)


@pytest.mark.parametrize("position", list(PositionCode))
@pytest.mark.parametrize("transition", TRANSITIONS)
@pytest.mark.parametrize("state", STATES)
def test_lifecycle_matrix(client_as, duty, position, transition, state):
    incident = incident_in(state, duty)
    client, _ = client_as(position)
    response = client.post(f"/api/incidents/{incident.pk}/transitions/{transition}/")
    incident.refresh_from_db()
    if position not in MAY_MANAGE:
        assert response.status_code == 403
    elif state not in ALLOWED_FROM[transition]:
        assert response.status_code == 409
    else:
        assert response.status_code == 200
        assert incident.status != state
        return
    assert incident.status == state


def test_an_incident_closes_only_after_its_final_report(duty, make_user):
    director = make_user(PositionCode.OFFICE_DIRECTOR)
    incident = report_incident(duty)
    with pytest.raises(StateConflict, match="终报"):
        services.incident_status_changed(actor=director, incident=incident, transition="close")
    assert Incident.objects.get(pk=incident.pk).status == "reported"


def test_people_on_call_fall_back_to_every_duty_officer_when_nobody_is_on_shift(duty):
    from directory.selectors import users_on_call

    assert not DutyShift.objects.exists()
    assert duty in users_on_call()
    assert Person.objects.filter(user=duty).exists()


def test_the_service_itself_refuses_negative_figures_by_field(duty):
    with pytest.raises(ValidationError) as error:
        report_incident(duty, deaths=-1, serious_injuries=-2)
    assert {"deaths", "serious_injuries"} <= set(error.value.message_dict)
    assert not Incident.objects.exists()
