"""The API's lists (incidents, responses, warnings): a lean row that says what the detail says,
the same queries for 5 rows as for 25, and each answer as the schema documents it (the list's
row and the detail are different components)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from directory.choices import PositionCode as P
from directory.models import Unit
from early_warnings import services as warning_services
from incidents import clocks
from response import services as response_services
from response.models import Notice
from tests.api_schema_helpers import assert_documented, served_schema, wsgi_client
from tests.incident_helpers import report_incident
from tests.warning_helpers import complete_draft


@pytest.fixture
def api(db):
    with wsgi_client() as client:
        yield client


def as_user(user):
    from rest_framework.authtoken.models import Token

    return {"Authorization": f"Token {Token.objects.get_or_create(user=user)[0].key}"}


def townships():
    return list(Unit.objects.townships())


def add_incidents(duty, count):
    return [report_incident(duty, township=townships()[n % len(townships())])
            for n in range(count)]


def add_responses(users, count):
    return [response_services.response_started_directly(
        actor=users(P.COMMANDER), incident=incident, level="III", reason="抢修")
        for incident in add_incidents(users(P.DUTY_OFFICER), count)]


def add_warnings(users, count):
    added = []
    for n in range(count):
        warning = complete_draft(users(P.DUTY_OFFICER), townships=townships()[n % 10:][:3])
        if n % 2:
            warning = warning_services.warning_submitted(actor=users(P.DUTY_OFFICER),
                                                         warning=warning)
        added.append(warning)
    return added


ADD = {"/api/incidents/": lambda users, count: add_incidents(users(P.DUTY_OFFICER), count),
       "/api/responses/": add_responses,
       "/api/warnings/": add_warnings}


@pytest.mark.parametrize("url", list(ADD))
def test_a_list_costs_the_same_queries_for_25_rows_as_for_5(client, users, url):
    client.force_login(users(P.DUTY_OFFICER))

    def listed():
        client.get(url)  # the first request of a session loads its permissions
        with CaptureQueriesContext(connection) as captured:
            answer = client.get(url, {"limit": 50})
        assert answer.status_code == 200
        return len(answer.json()["results"]), len(captured)

    ADD[url](users, 5)
    rows, few = listed()
    ADD[url](users, 20)
    more_rows, many = listed()
    assert (rows, more_rows) == (5, 25)
    assert many == few


def shared(row, detail):
    """The keys a list row shares with the detail whose values differ (none, if they agree)."""
    return {key: (value, detail[key]) for key, value in row.items()
            if key in detail and detail[key] != value}


def test_an_incident_row_says_what_its_detail_says(api, users):
    duty = users(P.DUTY_OFFICER)
    now = timezone.now()
    late = report_incident(duty, reported_at=now - timedelta(minutes=31),
                           occurred_at=now - timedelta(minutes=40))
    fresh = report_incident(duty, township=Unit.objects.get(code="tw_xiacun"))
    clocks.sweep_deadlines()
    schema = served_schema(api)

    listed = api.get("/api/incidents/", headers=as_user(duty))
    assert_documented(schema, "/api/incidents/", "GET", listed)
    rows = {row["id"]: row for row in listed.json["results"]}
    for incident in (late, fresh):
        detail = api.get(f"/api/incidents/{incident.pk}/", headers=as_user(duty))
        assert_documented(schema, "/api/incidents/{id}/", "GET", detail)
        row = rows[incident.pk]
        assert shared(row, detail.json) == {}
        assert "deadlines" not in row and "reports" not in row and detail.json["reports"]
        running = [d["due_at"] for d in detail.json["deadlines"] if d["state"] == "running"]
        assert row["next_due_at"] == min(running, default=None)
        assert row["has_overdue"] == any(d["state"] == "overdue"
                                         for d in detail.json["deadlines"])
    assert rows[late.pk]["has_overdue"] and rows[late.pk]["next_due_at"] is None
    assert not rows[fresh.pk]["has_overdue"] and rows[fresh.pk]["next_due_at"]


def test_a_response_row_counts_what_its_detail_lists(api, users, make_user):
    duty = users(P.DUTY_OFFICER)
    response, quiet = add_responses(users, 2)
    notice = Notice.objects.filter(response=response).select_related("unit").first()
    response_services.notice_acknowledged(
        actor=make_user(P.UNIT_LIAISON, unit_code=notice.unit.code), notice=notice)
    response_services.checklist_item_updated(
        actor=duty, item=response.checklist.filter(task_group=None).first(), status="done")
    schema = served_schema(api)

    listed = api.get("/api/responses/", headers=as_user(duty))
    assert_documented(schema, "/api/responses/", "GET", listed)
    rows = {row["id"]: row for row in listed.json["results"]}
    for each in (response, quiet):
        detail = api.get(f"/api/responses/{each.pk}/", headers=as_user(duty))
        assert_documented(schema, "/api/responses/{id}/", "GET", detail)
        row, whole = rows[each.pk], detail.json
        assert shared(row, whole) == {} and row["task_groups"] == whole["task_groups"]
        assert "notices" not in row and "checklist" not in row
        assert row["notices_waiting"] == sum(1 for n in whole["notices"]
                                             if n["acknowledged_at"] is None)
        assert row["checklist_total"] == len(whole["checklist"])
        assert row["checklist_done"] == sum(1 for item in whole["checklist"]
                                            if item["status"] == "done")
    assert rows[response.pk]["notices_waiting"] == rows[quiet.pk]["notices_waiting"] - 1
    assert (rows[response.pk]["checklist_done"], rows[quiet.pk]["checklist_done"]) == (1, 0)


def test_a_warning_row_says_what_its_detail_says(api, users):
    duty = users(P.DUTY_OFFICER)
    warnings = add_warnings(users, 3)
    schema = served_schema(api)

    listed = api.get("/api/warnings/", headers=as_user(duty))
    assert_documented(schema, "/api/warnings/", "GET", listed)
    rows = {row["id"]: row for row in listed.json["results"]}
    assert set(rows) == {w.pk for w in warnings}
    for warning in warnings:
        detail = api.get(f"/api/warnings/{warning.pk}/", headers=as_user(duty))
        assert_documented(schema, "/api/warnings/{id}/", "GET", detail)
        row = rows[warning.pk]
        assert shared(row, detail.json) == {} and len(row["townships"]) == 3
        assert "revisions" not in row and "public_notice" not in row
        assert detail.json["public_notice"]
