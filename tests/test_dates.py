"""The one rule for every time a person enters (zezhou_heat.dates), on pages, in the API and in
the services, and the defence behind it: one row with a time nobody can have meant neither
stops the deadline sweep for the others nor takes a page down for everyone (issue 11, 1)."""

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import OperationalError, connection, transaction
from django.db.backends.postgresql.psycopg_any import register_tzloader
from django.utils import timezone

from directory import services as directory_services
from directory.choices import PositionCode as P
from directory.models import Unit
from early_warnings import services as warning_services
from early_warnings.models import EarlyWarning
from incidents import clocks
from incidents import services as incident_services
from incidents.models import Deadline, Incident, Report
from response import services as response_services
from tests.incident_helpers import api_intake, intake_form, local, report_incident
from tests.warning_helpers import complete_draft
from timeline.models import Event
from zezhou_heat import dates
from zezhou_heat.postgresql.base import readable_tz_loader

# What the intake page stored before the rule: year 1 read as Asia/Shanghai local mean time
# (+08:05:43), which is 1 BC in UTC, a time PostgreSQL keeps and Python cannot read back.
YEAR_ONE = datetime(1, 1, 1, tzinfo=ZoneInfo("Asia/Shanghai"))
YEAR_ONE_FORM = {"occurred_at": "0001-01-01T00:00", "reported_at": "0001-01-01T00:10"}


@pytest.fixture
def duty(make_user):
    return make_user(P.DUTY_OFFICER)


@pytest.fixture
def duty_client(client, duty):
    client.force_login(duty)
    return client


def nothing_saved(events_before):
    return (not Incident.objects.exists() and not Deadline.objects.exists()
            and Event.objects.count() == events_before)


# --- the window ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind, offset, refused", [
    (dates.HAPPENED, timedelta(minutes=1), False),   # a phone a little ahead of the server
    (dates.HAPPENED, timedelta(minutes=3), True),    # beyond CLOCK_SKEW: in the future
    (dates.PLANNED, timedelta(days=300), False),
    (dates.PLANNED, timedelta(days=400), True),      # more than a year ahead
])
def test_each_kind_of_time_has_its_window(kind, offset, refused):
    assert bool(dates.moment_problem(timezone.now() + offset, kind)) is refused


@pytest.mark.parametrize("kind", [dates.HAPPENED, dates.PLANNED])
def test_nothing_before_2000_in_county_time(kind):
    shanghai = ZoneInfo("Asia/Shanghai")
    assert dates.moment_problem(datetime(2000, 1, 1, tzinfo=shanghai), kind) is None
    assert dates.moment_problem(datetime(1999, 12, 31, 23, 59, tzinfo=shanghai), kind)
    assert dates.moment_problem(YEAR_ONE, kind)
    assert dates.moment_problem(datetime(1, 1, 1), kind)  # naive: county time, no overflow


# --- pages and API: refused, the field named, nothing saved -----------------------------------


def test_the_intake_page_refuses_year_one_and_names_both_fields(client_as):
    client, _ = client_as(P.TOWNSHIP_OFFICER)  # as in the issue: a township officer
    events = Event.objects.count()
    answer = client.post("/incidents/new/", intake_form(**YEAR_ONE_FORM))
    assert answer.status_code == 200  # the form again, not a redirect to a saved incident
    errors = answer.context["form"].errors
    assert {"occurred_at", "reported_at"} <= set(errors)
    assert "2000-01-01" in errors["occurred_at"][0]
    assert nothing_saved(events)


@pytest.mark.parametrize("value", [
    "0001-01-01T00:00",          # no offset: DRF itself overflowed (a 500) before the rule
    "0001-01-01T00:00+08:00",
    "1900-01-01T00:00",          # was saved, and read back with a +08:05:43 offset
    "1999-12-31T23:59+08:00",
])
def test_the_api_refuses_a_time_before_2000_and_names_the_field(duty_client, value):
    events = Event.objects.count()
    answer = duty_client.post("/api/incidents/", api_intake(occurred_at=value, reported_at=value),
                              content_type="application/json")
    assert answer.status_code == 400
    body = answer.json()
    assert {"occurred_at", "reported_at"} <= set(body)
    assert "2000-01-01" in body["occurred_at"][0]
    assert nothing_saved(events)


@pytest.mark.parametrize("field, offset", [
    ("heating_stopped_at", timedelta(days=1)),      # happened: not in the future
    ("expected_restore_at", timedelta(days=400)),   # planned: not more than a year ahead
])
def test_the_optional_times_of_intake_have_their_window_too(duty_client, field, offset):
    data = api_intake(**{field: (timezone.now() + offset).isoformat()})
    answer = duty_client.post("/api/incidents/", data, content_type="application/json")
    assert answer.status_code == 400 and field in answer.json()
    assert not Incident.objects.exists()


def test_the_warning_page_refuses_year_one(client_as):
    client, _ = client_as(P.DUTY_OFFICER)
    answer = client.post("/warnings/new/", {
        "category": "cold_wave", "level": "general",
        "townships": [Unit.objects.get(code="tw_nancun").pk],
        "starts_at": "0001-01-01T00:00", "ends_at": local(timezone.now() + timedelta(hours=6))})
    assert answer.status_code == 200
    assert "starts_at" in answer.context["form"].errors
    assert not EarlyWarning.objects.exists()


def test_the_warning_api_refuses_year_one(duty_client):
    answer = duty_client.post("/api/warnings/", {
        "category": "cold_wave", "level": "general", "townships": ["tw_nancun"],
        "starts_at": "0001-01-01T00:00"}, content_type="application/json")
    assert answer.status_code == 400 and "starts_at" in answer.json()
    assert not EarlyWarning.objects.exists()


@pytest.fixture
def handed_over_ready(make_user):
    """A Level Ⅰ response the commander may hand over."""
    commander, duty = make_user(P.COMMANDER), make_user(P.DUTY_OFFICER)
    incident = report_incident(duty)
    response = response_services.response_proposed(
        actor=duty, incident=incident, level="I", reason="需要", task_groups=())
    return commander, response_services.response_approved(actor=commander, response=response)


def test_the_hand_over_page_and_api_refuse_year_one(client, handed_over_ready):
    commander, response = handed_over_ready
    client.force_login(commander)
    page = client.post(f"/response/{response.pk}/hand-over/",
                       {"to": "市指挥部", "at": "0001-01-01T00:00"}, follow=True)
    assert any("2000-01-01" in str(m) for m in get_messages(page.wsgi_request))
    api = client.post(f"/api/responses/{response.pk}/hand-over/",
                      {"to": "市指挥部", "at": "0001-01-01T00:00"}, content_type="application/json")
    assert api.status_code == 400 and "at" in api.json()
    response.refresh_from_db()
    assert response.state == "active" and response.handed_over_at is None


# --- the services are the last line -------------------------------------------------------------


def test_every_service_that_takes_a_time_refuses_year_one(make_user, handed_over_ready):
    commander, response = handed_over_ready
    duty, director = make_user(P.DUTY_OFFICER), make_user(P.OFFICE_DIRECTOR)
    incident = report_incident(duty)
    major = warning_services.warning_submitted(actor=duty,
                                               warning=complete_draft(duty, level="major"))
    calls = [
        ("occurred_at", lambda: report_incident(duty, occurred_at=YEAR_ONE)),
        ("asked_at", lambda: incident_services.inquiry_recorded(
            actor=duty, incident=incident, asked_by="市指挥部", asked_at=YEAR_ONE, question="?")),
        ("sent_at", lambda: incident_services.upward_report_recorded(
            actor=duty, incident=incident, recipient="city_hq", channel="phone",
            sent_at=YEAR_ONE)),
        ("starts_at", lambda: complete_draft(duty, starts_at=YEAR_ONE)),
        ("at", lambda: warning_services.warning_reported_up(
            actor=commander, warning=major, to="市政府", at=YEAR_ONE)),
        ("set_up_at", lambda: response_services.site_headquarters_recorded(
            actor=duty, response=response, leader="张", place="东街", set_up_at=YEAR_ONE)),
        ("at", lambda: response_services.response_handed_over(
            actor=commander, response=response, to="市指挥部", at=YEAR_ONE)),
        ("starts_at", lambda: directory_services.shift_scheduled(
            actor=director, unit=duty.person.unit, person=duty.person, starts_at=YEAR_ONE,
            ends_at=timezone.now())),
    ]
    for field, call in calls:
        with pytest.raises(ValidationError) as refused:
            call()
        assert field in refused.value.message_dict, field


# --- defence in depth: the sweep and the pages with a bad row present --------------------------


def poison(incident):
    """Store what the intake page stored before the rule, bypassing every check."""
    Incident.objects.filter(pk=incident.pk).update(
        occurred_at=YEAR_ONE, reported_at=YEAR_ONE + timedelta(minutes=10))
    Deadline.objects.filter(incident=incident).update(
        starts_at=YEAR_ONE + timedelta(minutes=10), remind_at=YEAR_ONE + timedelta(minutes=30),
        due_at=YEAR_ONE + timedelta(minutes=40))
    # Reports are append-only, in the ORM and by a trigger: tamper as a superuser would,
    # past the trigger for this one statement.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(f"UPDATE {Report._meta.db_table} SET submitted_at = %s "
                       "WHERE incident_id = %s", [YEAR_ONE, incident.pk])
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")


def overdue_incidents(duty, n):
    now = timezone.now()
    townships = Unit.objects.filter(kind="township").order_by("code")[:n]
    return [report_incident(duty, township=t, reported_at=now - timedelta(minutes=31),
                            occurred_at=now - timedelta(minutes=40)) for t in townships]


@pytest.mark.postgres
def test_a_poisoned_clock_is_set_aside_and_every_other_clock_still_fires(duty, caplog):
    late = overdue_incidents(duty, 2)
    bad = report_incident(duty)
    poison(bad)
    with caplog.at_level(logging.ERROR, logger="incidents.clocks"):
        assert clocks.sweep_deadlines() == (0, 2)
    assert all(Deadline.objects.get(incident=i).state == "overdue" for i in late)
    clock = Deadline.objects.get(incident=bad)
    assert clock.failed_at is not None and clock.overdue_at is None
    assert "before 2000-01-01" in clock.failure
    assert f"Deadline {clock.pk} set aside" in caplog.text
    assert Event.objects.filter(kind="deadline.overdue").count() == 2
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="incidents.clocks"):
        assert clocks.sweep_deadlines() == (0, 0)  # not tried again, every second, forever
    assert "set aside" not in caplog.text


@pytest.mark.postgres
def test_even_without_the_readable_backend_a_poisoned_clock_is_set_aside_alone(duty, caplog):
    """The sweep does not rely on zezhou_heat.postgresql: with Django's own reading of times
    (DataError on 1 BC), the batch is read again row by row and the bad row set aside."""
    late = overdue_incidents(duty, 2)
    bad = report_incident(duty)
    poison(bad)
    connection.ensure_connection()
    register_tzloader(connection.timezone, connection.connection)  # Django's own, raising
    try:
        with caplog.at_level(logging.ERROR, logger="incidents.clocks"):
            assert clocks.sweep_deadlines() == (0, 2)
        assert all(Deadline.objects.get(incident=i).state == "overdue" for i in late)
        failure = Deadline.objects.filter(incident=bad).values_list("failure", flat=True).get()
        assert failure.startswith("DataError: timestamp too small")
    finally:
        connection.connection.adapters.register_loader(
            "timestamptz", readable_tz_loader(connection.timezone))


def test_a_clock_that_fails_while_marked_is_rolled_back_and_set_aside_alone(
        duty, monkeypatch, caplog):
    first, middle, last = overdue_incidents(duty, 3)
    bad = Deadline.objects.get(incident=middle)
    real_append = clocks.append_event

    def append_event(**kwargs):
        if kwargs["subject"].pk == bad.pk:
            raise ValueError("refused")
        return real_append(**kwargs)

    monkeypatch.setattr(clocks, "append_event", append_event)
    with caplog.at_level(logging.ERROR, logger="incidents.clocks"):
        assert clocks.sweep_deadlines() == (0, 2)
    bad.refresh_from_db()
    assert bad.overdue_at is None  # its savepoint rolled back: no mark without its event
    assert bad.failed_at is not None and bad.failure == "ValueError: refused"
    assert f"Deadline {bad.pk} set aside" in caplog.text
    assert {e.incident_id for e in Event.objects.filter(kind="deadline.overdue")} == {
        first.pk, last.pk}


def test_a_database_fault_sets_no_clock_aside(duty, monkeypatch):
    """A lost connection or a timeout is not the row's fault: the sweep fails as a whole and
    tries every clock again next time."""
    overdue_incidents(duty, 2)

    def append_event(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(clocks, "append_event", append_event)
    with pytest.raises(OperationalError):
        clocks.sweep_deadlines()
    assert not Deadline.objects.filter(failed_at__isnull=False).exists()


@pytest.mark.postgres
@pytest.mark.parametrize("position", [P.DUTY_OFFICER, P.COMMANDER, P.TOWNSHIP_OFFICER])
def test_the_pages_answer_for_everyone_with_a_poisoned_incident_present(
        client, make_user, duty, position):
    good = report_incident(duty)
    poison(report_incident(duty))
    clocks.sweep_deadlines()
    client.force_login(make_user(position))
    for url in ("/command/", "/incidents/", "/api/incidents/"):
        answer = client.get(url)
        assert answer.status_code == 200, url
        assert f"/incidents/{good.pk}/" in answer.content.decode() or url.startswith("/api/")
    listed = client.get("/api/incidents/").json()["results"]
    assert good.pk in [i["id"] for i in listed]
