"""Issue 11, defect 12: who sees which warning. County readers see every warning; township
officers and enterprise reporters see those the county issued (in effect or lifted), on the
board, the detail page and the API, as the timeline shows them their events. A draft, a
warning pending approval, rejected or reported up is the headquarters' own work."""

import pytest
from django.utils import timezone

from directory.choices import PositionCode
from directory.models import Unit
from early_warnings import services
from tests.conftest import ALL_POSITIONS
from tests.incident_helpers import report_incident
from tests.warning_helpers import complete_draft

pytestmark = pytest.mark.django_db
P = PositionCode
COUNTY_READERS = {P.COMMANDER, P.DEPUTY_COMMANDER, P.OFFICE_DIRECTOR, P.DUTY_OFFICER,
                  P.UNIT_LIAISON}
PUBLIC = {"issued", "lifted"}


@pytest.fixture
def warnings_in_every_state(users):
    """One warning per state, each tied to an incident of 南村镇 reported by the test
    enterprise: the township officer's and the enterprise reporter's own incident."""
    duty, commander = users(P.DUTY_OFFICER), users(P.COMMANDER)
    incident = report_incident(duty, reporter_unit=Unit.objects.get(code="ent_demo1"))

    def warning(state):
        made = complete_draft(duty, level="major", incident=incident)
        if state == "draft":
            return made
        services.warning_submitted(actor=duty, warning=made)
        if state == "rejected":
            return services.warning_rejected(actor=commander, warning=made)
        if state == "reported_up":
            return services.warning_reported_up(actor=commander, warning=made,
                                                to="晋城市人民政府", at=timezone.now())
        if state in ("issued", "lifted"):
            made = services.warning_approved(actor=commander, warning=made)
        if state == "lifted":
            made = services.warning_lifted(actor=commander, warning=made, reason="风险解除")
        return made

    made = {state: warning(state).pk
            for state in ("draft", "pending", "rejected", "issued", "lifted", "reported_up")}
    assert incident.township.code == "tw_nancun"
    return made


@pytest.mark.parametrize("position", ALL_POSITIONS)
def test_each_position_sees_the_warnings_the_timeline_shows_it(
        client, users, warnings_in_every_state, position):
    client.force_login(users(position))
    if position == P.ADMINISTRATOR:  # no warnings at all
        assert client.get("/api/warnings/").status_code == 403
        assert client.get("/warnings/").status_code == 403
        return
    shown = {state for state in warnings_in_every_state
             if position in COUNTY_READERS or state in PUBLIC}

    listed = {w["id"] for w in client.get("/api/warnings/?limit=100").json()["results"]}
    assert listed == {warnings_in_every_state[state] for state in shown}
    board = client.get("/warnings/").content.decode()
    for state, pk in warnings_in_every_state.items():
        expected = 200 if state in shown else 404
        assert client.get(f"/api/warnings/{pk}/").status_code == expected, state
        assert client.get(f"/warnings/{pk}/").status_code == expected, state
        assert (f'data-warning="{pk}"' in board) is (state in shown), state
    assert ('id="drafts"' in board) is (position in COUNTY_READERS)
    assert ('id="pending"' in board) is (position in COUNTY_READERS)

    # The timeline shows the same warnings, and of the hidden ones not a single event.
    events = client.get("/api/timeline/events/?after=0").json()
    on_timeline = {int(e["subject_id"]) for e in events if e["kind"].startswith("warning.")}
    assert on_timeline == {warnings_in_every_state[state] for state in shown}
    if position not in COUNTY_READERS:
        assert {e["kind"] for e in events if e["kind"].startswith("warning.")} == {
            "warning.issued", "warning.lifted"}
        assert any(e["kind"] == "incident.reported" for e in events)  # their own incident


def test_a_hidden_warning_cannot_be_acted_on_or_downloaded(client, users,
                                                           warnings_in_every_state):
    client.force_login(users(P.TOWNSHIP_OFFICER))
    pending = warnings_in_every_state["pending"]
    assert client.post(f"/api/warnings/{pending}/approve/", {},
                       content_type="application/json").status_code == 404
    assert client.post(f"/warnings/{pending}/approve/", {"note": ""}).status_code == 404
    lifted = warnings_in_every_state["lifted"]
    assert client.get(f"/warnings/{lifted}/cap/v1.xml").status_code == 200
    assert client.get(f"/api/warnings/{lifted}/cap/2/").status_code == 200
