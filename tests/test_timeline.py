"""The append-only event log and the API that live views resume from."""

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from directory.models import Unit
from timeline.models import Event
from timeline.services import append_event
from zezhou_heat.models import AppendOnlyError

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(plan):
    return append_event(actor=None, kind="directory.unit.updated", subject=Unit.objects.first(),
                        old={"order": 1}, new={"order": 2})


def test_an_event_records_subject_and_values(event):
    stored = Event.objects.get(seq=event.seq)
    assert stored.subject_type == "directory.unit"
    assert stored.old == {"order": 1} and stored.new == {"order": 2}


def test_orm_cannot_change_or_remove_events(event):
    event.kind = "rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        Event.objects.filter(seq=event.seq).update(kind="rewritten")
    with pytest.raises(AppendOnlyError):
        Event.objects.filter(seq=event.seq).delete()
    assert Event.objects.get(seq=event.seq).kind == "directory.unit.updated"


@pytest.mark.postgres
@pytest.mark.parametrize("statement", [
    "UPDATE timeline_event SET kind = 'rewritten' WHERE seq = %s",
    "DELETE FROM timeline_event WHERE seq = %s",
])
def test_postgresql_trigger_refuses_raw_update_and_delete(event, statement):
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [event.seq])
    assert Event.objects.get(seq=event.seq).kind == "directory.unit.updated"


def test_api_lists_events_after_a_sequence_number_in_order(client_as, plan):
    client, _user = client_as("duty_officer")
    last = Event.objects.order_by("-seq").first().seq
    unit = Unit.objects.first()
    for n in range(3):
        append_event(actor=None, kind="directory.unit.updated", subject=unit, new={"order": n})
    response = client.get(f"/api/timeline/events/?after={last}")
    assert response.status_code == 200
    assert [e["new"] for e in response.json()] == [{"order": 0}, {"order": 1}, {"order": 2}]
    seqs = [e["seq"] for e in response.json()]
    assert seqs == sorted(seqs) and seqs[0] > last
    limited = client.get(f"/api/timeline/events/?after={last}&limit=2").json()
    assert [e["new"] for e in limited] == [{"order": 0}, {"order": 1}]


@pytest.mark.parametrize("query", ["after=abc", "after=-1", "limit=x"])
def test_api_refuses_a_bad_cursor_with_the_field_named(client_as, query):
    client, _user = client_as("duty_officer")
    response = client.get(f"/api/timeline/events/?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()


def test_api_needs_a_login(client):
    assert client.get("/api/timeline/events/").status_code in (401, 403)
