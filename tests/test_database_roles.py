"""The audit trail holds against the application's own database role (issue 11, defect 6):
the role made by `manage.py grant_app_role` cannot rewrite, delete or truncate timeline events
or reports, nor switch their triggers off; the owner is refused by the triggers too."""

import uuid

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from directory.choices import PositionCode
from tests.incident_helpers import report_incident

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TAMPERING = [
    "UPDATE timeline_event SET kind = 'forged'",
    "DELETE FROM timeline_event",
    "TRUNCATE timeline_event CASCADE",
    "UPDATE incidents_report SET summary = 'forged'",
    "DELETE FROM incidents_report",
    "TRUNCATE incidents_report CASCADE",
    "SET session_replication_role = replica",
    "ALTER TABLE timeline_event DISABLE TRIGGER ALL",
    "DROP TRIGGER timeline_event_append_only ON timeline_event",
    "ALTER TABLE incidents_report DISABLE TRIGGER incidents_report_append_only",
]


@pytest.fixture
def app_role():
    role = f"zz_app_{uuid.uuid4().hex[:8]}"
    call_command("grant_app_role", role)
    settings = connection.settings_dict
    conn = psycopg.connect(dbname=settings["NAME"], user=role, host=settings["HOST"] or None,
                           port=settings["PORT"] or None, autocommit=True)
    yield conn
    conn.close()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP OWNED BY "{role}"; DROP ROLE "{role}"')


@pytest.mark.parametrize("statement", TAMPERING)
def test_the_app_role_cannot_tamper_with_the_record(app_role, make_user, statement):
    report_incident(make_user(PositionCode.DUTY_OFFICER))
    before = counts(app_role)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        app_role.execute(statement)
    assert counts(app_role) == before and before[1] == 1


def counts(conn):
    return tuple(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                 for table in ("timeline_event", "incidents_report"))


def test_the_app_role_still_does_its_work(app_role, make_user):
    incident = report_incident(make_user(PositionCode.DUTY_OFFICER))
    app_role.execute("UPDATE incidents_deadline SET met_at = now() WHERE incident_id = %s",
                     [incident.pk])
    app_role.execute("SELECT pg_advisory_xact_lock(1)")
    assert app_role.execute("SELECT has_table_privilege(current_user, 'timeline_event', 'INSERT')"
                            ).fetchone()[0]


def test_even_the_owner_cannot_rewrite_a_report(make_user):
    report_incident(make_user(PositionCode.DUTY_OFFICER))
    with pytest.raises(Exception, match="append-only"), connection.cursor() as cursor:
        cursor.execute("UPDATE incidents_report SET summary = 'forged'")
