"""After the final report (终报, plan §4.1): what it stops, what it does not, where the
incident goes. The final report follows the end of the response (§4.10)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from command_room.selectors import command_room
from directory.choices import PositionCode
from incidents import clocks
from incidents import services as incident_services
from incidents.models import Deadline, Incident, Report
from response import services
from response.choices import CONDITIONS
from tests.incident_helpers import complete_contents, figures_of, report_incident
from timeline.models import Event
from zezhou_heat.errors import StateConflict

pytestmark = pytest.mark.django_db
P = PositionCode


@pytest.fixture
def people(make_user):
    return {p: make_user(p) for p in (P.DUTY_OFFICER, P.OFFICE_DIRECTOR, P.DEPUTY_COMMANDER,
                                      P.COMMANDER)}


def final(actor, incident, **changes):
    return incident_services.final_report_filed(
        actor=actor, incident=incident, summary="处置结束，已全部恢复供热", measures="",
        figures=figures_of(incident, **changes))


def ended_response(people):
    duty = people[P.DUTY_OFFICER]
    incident = report_incident(duty)
    response = services.response_proposed(actor=duty, incident=incident, level="II",
                                           reason="需要")
    response = services.response_approved(actor=people[P.DEPUTY_COMMANDER], response=response)
    for key, _label in CONDITIONS:
        services.condition_confirmed(actor=duty, response=response, condition=key)
    services.response_ended(actor=people[P.DEPUTY_COMMANDER], response=response)
    return Incident.objects.get(pk=incident.pk)


def test_after_the_response_ends_the_final_report_moves_the_incident_out_of_handling(people):
    incident = ended_response(people)
    assert incident.status == "under_control"
    final(people[P.DUTY_OFFICER], incident, households_affected=0)
    incident.refresh_from_db()
    assert (incident.status, incident.reporting_closed) == ("final_reported", True)
    assert incident.get_status_display() == "终报已报"
    step = Event.objects.filter(kind="incident.status_changed", incident=incident).last()
    assert (step.old, step.new) == ({"status": "under_control"}, {"status": "final_reported"})


def test_no_final_report_while_the_response_runs(people, client):
    duty = people[P.DUTY_OFFICER]
    incident = report_incident(duty)
    response = services.response_proposed(actor=duty, incident=incident, level="II",
                                          reason="需要")
    client.force_login(duty)
    body = {"kind": "final", "summary": "结束", "measures": "", **figures_of(incident)}
    proposed = client.post(f"/api/incidents/{incident.pk}/reports/", body,
                           content_type="application/json")
    assert proposed.status_code == 409 and "终报" in proposed.json()["detail"]
    services.response_approved(actor=people[P.DEPUTY_COMMANDER], response=response)
    running = client.post(f"/api/incidents/{incident.pk}/reports/", body,
                          content_type="application/json")
    assert running.status_code == 409 and "响应" in running.json()["detail"]
    assert not Report.objects.filter(kind="final").exists()
    assert Incident.objects.get(pk=incident.pk).status == "responding"


def test_the_page_keeps_the_typed_final_report_when_it_is_refused(people, client):
    duty = people[P.DUTY_OFFICER]
    incident = report_incident(duty)
    services.response_proposed(actor=duty, incident=incident, level="II", reason="需要")
    client.force_login(duty)
    page = client.post(f"/incidents/{incident.pk}/reports/final/", {
        "summary": "全部恢复供热", "measures": "", **figures_of(incident)})
    text = page.content.decode()
    assert page.status_code == 200
    assert "全部恢复供热" in text and "决定该提议或先结束响应" in text


def test_no_response_is_proposed_or_started_after_the_final_report(people, client):
    duty = people[P.DUTY_OFFICER]
    incident = report_incident(duty)
    final(duty, incident)
    with pytest.raises(StateConflict, match="终报"):
        services.response_proposed(actor=duty, incident=incident, level="II", reason="需要")
    with pytest.raises(StateConflict, match="终报"):
        services.response_started_directly(actor=people[P.COMMANDER], incident=incident,
                                           level="II", reason="需要")
    client.force_login(people[P.OFFICE_DIRECTOR])
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'class="proposal"' not in page and 'id="no-response-after-final"' in page


def test_the_written_report_still_owed_is_said_and_still_accepted(people, client):
    duty = people[P.DUTY_OFFICER]
    incident = report_incident(duty)
    final(duty, incident)
    due = timezone.localtime(incident.deadlines.get(kind="written_report").due_at)
    client.force_login(duty)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert f"书面报告仍须在 {due:%H:%M} 前报送" in page
    assert f"/incidents/{incident.pk}/written/" in page            # still offered
    assert f"/incidents/{incident.pk}/reports/continuation/" not in page
    assert f"/incidents/{incident.pk}/reports/final/" not in page
    report = incident_services.written_report_saved(
        actor=duty, incident=incident, contents=complete_contents(), figures=figures_of(incident))
    assert report.is_complete and report.on_time
    assert incident.deadlines.get(kind="written_report").state == "met"
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "仍须" not in page


def test_an_overdue_written_report_after_the_final_report_says_it_is_overdue(people, client):
    duty = people[P.DUTY_OFFICER]
    incident = report_incident(duty, reported_at=timezone.now() - timedelta(minutes=45),
                               occurred_at=timezone.now() - timedelta(minutes=50))
    clocks.sweep_deadlines()
    final(duty, incident)
    client.force_login(duty)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "书面报告已超时" in page and "仍须报送" in page


def test_inquiry_clocks_keep_running_after_the_final_report(people):
    duty = people[P.DUTY_OFFICER]
    incident = report_incident(duty)
    incident_services.written_report_saved(
        actor=duty, incident=incident, contents=complete_contents(), figures=figures_of(incident))
    inquiry = incident_services.inquiry_recorded(
        actor=duty, incident=incident, asked_by="市住建局", asked_at=timezone.now(),
        question="核实伤亡")
    final(duty, incident)
    assert Deadline.objects.get(inquiry=inquiry).state == "running"


def test_the_command_room_keeps_a_final_reported_incident_only_while_something_is_owed(people):
    duty = people[P.DUTY_OFFICER]
    incident = report_incident(duty)
    final(duty, incident)
    shown = [i.pk for i in command_room(duty)["incidents"]]
    assert shown == [incident.pk]                       # the written report is still owed
    incident_services.written_report_saved(
        actor=duty, incident=incident, contents=complete_contents(), figures=figures_of(incident))
    assert command_room(duty)["incidents"] == []


MAY_REPORT = {P.DUTY_OFFICER, P.TOWNSHIP_OFFICER, P.ENTERPRISE_REPORTER}
EXPECTED = {"reported": 201, "under_control": 201, "responding": 409,
            "final_reported": 400, "closed": 400}


@pytest.mark.parametrize("position", list(PositionCode))
@pytest.mark.parametrize("state", list(EXPECTED))
def test_final_report_matrix(client_as, make_user, position, state):
    """Every position, every state: who may file the final report and when; a refusal
    changes nothing."""
    from directory.models import Unit

    duty = make_user(P.DUTY_OFFICER)
    incident = report_incident(duty, reporter_unit=Unit.objects.get(code="ent_demo1"))
    if state in ("final_reported", "closed"):
        final(duty, incident)
    Incident.objects.filter(pk=incident.pk).update(status=state)
    client, _user = client_as(position)
    answer = client.post(f"/api/incidents/{incident.pk}/reports/", {
        "kind": "final", "summary": "结束", "measures": "", **figures_of(incident)},
        content_type="application/json")
    incident.refresh_from_db()
    expected = EXPECTED[state] if position in MAY_REPORT else 403
    assert answer.status_code == expected
    if expected == 201:
        assert incident.status == "final_reported"
    else:
        assert incident.status == state
        assert Report.objects.filter(kind="final").count() == int(
            state in ("final_reported", "closed"))
