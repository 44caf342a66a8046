"""Who may log incidents and reports, and who may read them, for every position (plan §4.1;
the issue: duty officers anywhere, township officers in their own township, heating-enterprise
reporters for their own enterprise; liaisons read; nobody edits a saved report)."""

import pytest

from directory.choices import PositionCode
from directory.models import Unit
from incidents.models import Incident, Report
from tests.incident_helpers import api_intake, figures_of, intake_form, report_incident
from timeline.models import Event

pytestmark = pytest.mark.django_db

# Whether each position may log the 南村镇 incident reported by the demo enterprise 1
# (the conftest holds township officers at 南村镇 and enterprise reporters at ent_demo1).
MAY_LOG = {PositionCode.DUTY_OFFICER, PositionCode.TOWNSHIP_OFFICER,
           PositionCode.ENTERPRISE_REPORTER}
MAY_READ_ALL = {PositionCode.COMMANDER, PositionCode.DEPUTY_COMMANDER,
                PositionCode.OFFICE_DIRECTOR, PositionCode.DUTY_OFFICER, PositionCode.UNIT_LIAISON}


def enterprise():
    return Unit.objects.get(code="ent_demo1")


@pytest.mark.parametrize("position", list(PositionCode))
def test_logging_an_incident_on_the_page(client_as, position):
    client, _ = client_as(position)
    response = client.post("/incidents/new/", intake_form(reporter_unit=enterprise().pk))
    if position in MAY_LOG:
        assert response.status_code == 302, response.context and response.context["form"].errors
        assert Incident.objects.count() == 1
    else:
        assert response.status_code == 403
        assert Incident.objects.count() == 0


@pytest.mark.parametrize("position", list(PositionCode))
def test_logging_an_incident_by_api(client_as, position):
    client, _ = client_as(position)
    response = client.post("/api/incidents/", api_intake(reporter_unit="ent_demo1"),
                           content_type="application/json")
    assert response.status_code == (201 if position in MAY_LOG else 403), response.content
    assert Incident.objects.count() == (1 if position in MAY_LOG else 0)


def test_a_township_officer_logs_only_in_their_own_township(client_as):
    client, _ = client_as(PositionCode.TOWNSHIP_OFFICER)
    other = Unit.objects.get(code="tw_xiacun")
    assert client.post("/api/incidents/", api_intake(township="tw_xiacun"),
                       content_type="application/json").status_code == 403
    response = client.post("/incidents/new/", intake_form(township=other.pk))
    assert response.status_code == 200  # the other township is not even a choice
    assert "township" in response.context["form"].errors
    assert not Incident.objects.exists()


def test_an_enterprise_reporter_logs_only_for_their_own_enterprise(client_as):
    client, _ = client_as(PositionCode.ENTERPRISE_REPORTER)
    assert client.post("/api/incidents/", api_intake(reporter_unit="ent_demo2"),
                       content_type="application/json").status_code == 403
    assert client.post("/api/incidents/", api_intake(),
                       content_type="application/json").status_code == 403
    assert not Incident.objects.exists()


@pytest.mark.parametrize("position", list(PositionCode))
def test_continuation_reports_by_position(client_as, make_user, position):
    incident = report_incident(make_user(PositionCode.DUTY_OFFICER), reporter_unit=enterprise())
    client, _ = client_as(position)
    response = client.post(f"/api/incidents/{incident.pk}/reports/", {
        "kind": "continuation", "summary": "抢修中", **figures_of(incident)},
        content_type="application/json")
    if position in MAY_LOG:
        assert response.status_code == 201
    else:
        assert response.status_code == 403
        assert not Report.objects.filter(kind="continuation").exists()


def test_scoped_reporters_cannot_report_on_others_incidents(client_as, make_user):
    elsewhere = report_incident(make_user(PositionCode.DUTY_OFFICER),
                                township=Unit.objects.get(code="tw_xiacun"))
    for position in (PositionCode.TOWNSHIP_OFFICER, PositionCode.ENTERPRISE_REPORTER):
        client, _ = client_as(position)
        response = client.post(f"/api/incidents/{elsewhere.pk}/reports/", {
            "kind": "continuation", "summary": "x", **figures_of(elsewhere)},
            content_type="application/json")
        assert response.status_code == 404
        assert client.get(f"/incidents/{elsewhere.pk}/").status_code == 404


@pytest.mark.parametrize("position", list(PositionCode))
def test_reading_incidents_by_position(client_as, make_user, position):
    incident = report_incident(make_user(PositionCode.DUTY_OFFICER), reporter_unit=enterprise())
    client, _ = client_as(position)
    page = client.get(f"/incidents/{incident.pk}/")
    listed = client.get("/api/incidents/")
    if position in MAY_READ_ALL or position in MAY_LOG:
        assert page.status_code == 200
        assert [i["id"] for i in listed.json()["results"]] == [incident.pk]
    else:  # the administrator: no command authority by that alone
        assert page.status_code == 403 and listed.status_code == 403


@pytest.mark.parametrize("position", list(PositionCode))
def test_inquiries_and_upward_reports_are_the_office_s(client_as, make_user, position):
    incident = report_incident(make_user(PositionCode.DUTY_OFFICER), reporter_unit=enterprise())
    client, _ = client_as(position)
    allowed = position in (PositionCode.DUTY_OFFICER, PositionCode.OFFICE_DIRECTOR)
    inquiry = client.post(f"/api/incidents/{incident.pk}/inquiries/", {
        "asked_by": "市住建局", "asked_at": incident.reported_at.isoformat(), "question": "伤亡？"},
        content_type="application/json")
    upward = client.post(f"/api/incidents/{incident.pk}/upward-reports/", {
        "recipient": "county_government", "channel": "phone",
        "sent_at": incident.reported_at.isoformat()}, content_type="application/json")
    assert (inquiry.status_code, upward.status_code) == ((201, 201) if allowed else (403, 403))


def test_saved_reports_cannot_be_edited_through_the_api(client_as, make_user):
    incident = report_incident(make_user(PositionCode.DUTY_OFFICER))
    client, _ = client_as(PositionCode.DUTY_OFFICER)
    for method in (client.put, client.patch, client.delete):
        assert method(f"/api/incidents/{incident.pk}/", {}, content_type="application/json"
                      ).status_code == 405
    assert Event.objects.filter(incident=incident).count() == 1
