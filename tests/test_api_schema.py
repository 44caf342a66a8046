"""The OpenAPI schema (/api/schema/) says what the API answers: each answer below, the kind
a client meets every day, is checked against the schema served, as a generated client would
read it (the schema fuzzing in test_api_fuzz.py found each of these)."""

import pytest
from django.utils import timezone

from directory.choices import PositionCode as P
from directory.models import DutyShift, Person, Unit
from response import services
from tests.api_schema_helpers import assert_documented, served_schema, wsgi_client
from tests.incident_helpers import report_incident
from tests.warning_helpers import complete_draft


@pytest.fixture
def api(db):
    with wsgi_client() as client:
        yield client


@pytest.fixture
def schema(api):
    return served_schema(api)


def as_user(user):
    from rest_framework.authtoken.models import Token

    return {"Authorization": f"Token {Token.objects.get_or_create(user=user)[0].key}"}


def active_response(users):
    incident = report_incident(users(P.DUTY_OFFICER))
    return services.response_started_directly(
        actor=users(P.COMMANDER), incident=incident, level="III", reason="抢修")


def test_a_headquarters_position_has_no_unit_and_the_schema_says_so(api, schema, users):
    """A duty officer's holding is not held for a unit: `unit` is null."""
    duty = users(P.DUTY_OFFICER)
    person = Person.objects.get(user=duty)
    answer = api.get(f"/api/directory/people/{person.pk}/", headers=as_user(duty))
    assert answer.json["holdings"] == [
        {"position": "duty_officer", "position_name": "值班员", "unit": None}]
    assert_documented(schema, "/api/directory/people/{id}/", "GET", answer)


def test_an_active_response_matches_the_schema(api, schema, users):
    """Its checklist has the level's measures (no task group: `task_group` null) and its
    notices are neither overdue nor settled (`overdue_at`, `cancelled_at` null)."""
    response = active_response(users)
    answer = api.get(f"/api/responses/{response.pk}/", headers=as_user(users(P.DUTY_OFFICER)))
    body = answer.json
    assert any(item["task_group"] is None for item in body["checklist"])
    assert body["notices"] and all(notice["overdue_at"] is None and notice["cancelled_at"] is None
                                   for notice in body["notices"])
    assert_documented(schema, "/api/responses/{id}/", "GET", answer)


def test_marking_a_measure_answers_as_the_schema_says(api, schema, users):
    response = active_response(users)
    measure = response.checklist.filter(task_group=None).first()
    answer = api.post(f"/api/checklist-items/{measure.pk}/mark/", json={"status": "done"},
                      headers=as_user(users(P.DUTY_OFFICER)))
    assert answer.status_code == 200 and answer.json["task_group"] is None
    assert_documented(schema, "/api/checklist-items/{id}/mark/", "POST", answer)


def test_a_proposed_response_not_started_matches_the_schema(api, schema, users):
    """Not started yet: `start_mode` is empty, which the schema's enum must allow."""
    response = services.response_proposed(actor=users(P.DUTY_OFFICER),
                                          incident=report_incident(users(P.DUTY_OFFICER)),
                                          level="III", reason="待批")
    answer = api.get(f"/api/responses/{response.pk}/", headers=as_user(users(P.DUTY_OFFICER)))
    assert answer.json["start_mode"] == ""
    assert_documented(schema, "/api/responses/{id}/", "GET", answer)


def test_the_on_duty_list_is_documented_as_the_plain_list_it_is(api, schema, users):
    liaison = users(P.UNIT_LIAISON)
    now = timezone.now()
    DutyShift.objects.create(unit=Unit.objects.get(code="gaj"),
                             person=Person.objects.get(user=liaison),
                             starts_at=now - timezone.timedelta(hours=1),
                             ends_at=now + timezone.timedelta(hours=1))
    answer = api.get("/api/directory/shifts/on-duty/", headers=as_user(liaison))
    assert isinstance(answer.json, list) and len(answer.json) == 1
    operation = schema["/api/directory/shifts/on-duty/"]["GET"]
    assert not [p for p in operation.definition.raw.get("parameters", [])
                if p["name"] in ("limit", "offset")], "no pagination parameters: none apply"
    assert_documented(schema, "/api/directory/shifts/on-duty/", "GET", answer)


def test_an_address_no_route_matches_answers_the_api_s_404(api, schema, users):
    """Under /api/, an id no route takes (here `1.5`) is the API's JSON 404, not the HTML page."""
    answer = api.post("/api/incidents/1.5/upward-reports/", json={},
                      headers=as_user(users(P.DUTY_OFFICER)))
    assert answer.status_code == 404
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.json == {"detail": "未找到。"}
    assert_documented(schema, "/api/incidents/{id}/upward-reports/", "POST", answer)
    page = api.get("/incidents/nothing/", headers=as_user(users(P.DUTY_OFFICER)))
    assert page.status_code == 404 and page.headers["Content-Type"].startswith("text/html")


def test_a_cap_version_that_does_not_exist_answers_the_api_s_404(api, schema, users):
    duty = users(P.DUTY_OFFICER)
    warning = complete_draft(duty)
    answer = api.get(f"/api/warnings/{warning.pk}/cap/7/", headers=as_user(duty))
    assert answer.status_code == 404 and answer.json == {"detail": "未找到。"}
    assert_documented(schema, "/api/warnings/{id}/cap/{version}/", "GET", answer)


def test_refusals_are_answers_the_schema_declares(api, schema, users):
    """400 (field errors), 403 (no authority), 409 (not in this state) and 415 (a body of
    another media type) are declared with the body they carry."""
    duty, liaison = users(P.DUTY_OFFICER), users(P.UNIT_LIAISON)
    response = active_response(users)
    path = "/api/responses/{id}/approve/"
    url = path.format(id=response.pk)
    conflict = api.post(url, json={}, headers=as_user(users(P.COMMANDER)))
    assert conflict.status_code == 409
    refused = api.post(url, json={}, headers=as_user(liaison))
    assert refused.status_code == 403
    bad = api.post(url, json={"note": "x" * 301}, headers=as_user(users(P.COMMANDER)))
    assert bad.status_code == 400 and list(bad.json) == ["note"]
    plain = api.post(url, data="note", headers={"Content-Type": "text/plain", **as_user(duty)})
    assert plain.status_code == 415
    for answer in (conflict, refused, bad, plain):
        assert_documented(schema, path, "POST", answer)
    token = api.post("/api/auth/token/", json={"username": "nobody", "password": "x"})
    assert token.status_code == 400
    assert_documented(schema, "/api/auth/token/", "POST", token)


def test_a_serializer_says_nothing_it_does_not_say(api):
    """A serializer without a docstring has no description, rather than the one of the
    project's base serializer ("strict about its input") on every such component."""
    components = api.get("/api/schema/?format=json").json["components"]["schemas"]
    assert "description" not in components["Holding"]
    assert not [name for name, component in components.items()
                if "serializer" in component.get("description", "")]
