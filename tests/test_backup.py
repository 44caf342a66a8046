"""Backups that restore (issue 11): `scripts/backup.sh dump` of the running test database,
`restore` into a fresh database, and the copy holds the same rows, the same last timeline
sequence number and the same append-only triggers. And old dumps go after the retention."""

import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from directory.choices import PositionCode
from early_warnings import services as warning_services
from tests.incident_helpers import report_incident
from tests.warning_helpers import complete_draft

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "backup.sh"
TRIGGERS = {("timeline_event", "timeline_event_append_only"),
            ("incidents_report", "incidents_report_append_only")}


def libpq_env(database=None):
    settings = connection.settings_dict
    env = dict(os.environ, PGDATABASE=database or settings["NAME"],
               PGHOST=settings["HOST"] or "", PGPORT=str(settings["PORT"] or ""),
               PGUSER=settings["USER"] or "", PGPASSWORD=settings["PASSWORD"] or "")
    return {key: value for key, value in env.items() if value != "" or not key.startswith("PG")}


def run(*args, env=None):
    return subprocess.run(["sh", str(SCRIPT), *args], env=env or libpq_env(), check=True,
                          capture_output=True, text=True, timeout=120)


def snapshot(conn):
    """Row counts of every table, the last timeline sequence number (the event and the
    sequence behind it) and the append-only triggers."""
    tables = [row[0] for row in conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
    counts = {table: conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
              for table in tables}
    last_seq = conn.execute("SELECT max(seq) FROM timeline_event").fetchone()[0]
    sequence = conn.execute("SELECT last_value FROM " + conn.execute(
        "SELECT pg_get_serial_sequence('timeline_event', 'seq')").fetchone()[0]).fetchone()[0]
    triggers = set(conn.execute(
        "SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE NOT tgisinternal"
        " AND tgenabled = 'O'"))
    return counts, last_seq, sequence, triggers


@pytest.fixture
def fresh_database():
    name = f"zz_restore_{uuid.uuid4().hex[:10]}"
    yield name
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def connect(database):
    settings = connection.settings_dict
    return psycopg.connect(dbname=database, user=settings["USER"] or None,
                           password=settings["PASSWORD"] or None,
                           host=settings["HOST"] or None, port=settings["PORT"] or None,
                           autocommit=True)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_backup_of_the_running_system_restores_whole(make_user, tmp_path, fresh_database):
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.fail("pg_dump and pg_restore (PostgreSQL client 15) are needed on the PATH")
    duty, director = make_user(PositionCode.DUTY_OFFICER), make_user(PositionCode.OFFICE_DIRECTOR)
    for _ in range(3):
        report_incident(duty)
    warning = warning_services.warning_submitted(actor=director, warning=complete_draft(
        director, level="general"))
    warning_services.warning_approved(actor=director, warning=warning)

    dump = tmp_path / "zezhou-test.dump"
    run("dump", str(dump))
    run("restore", str(dump), fresh_database)

    with connect(connection.settings_dict["NAME"]) as original, \
            connect(fresh_database) as restored:
        before, after = snapshot(original), snapshot(restored)
        counts, last_seq, sequence, triggers = after
        assert counts == before[0]
        assert counts["incidents_incident"] == 3 and counts["incidents_report"] == 3
        assert counts["early_warnings_earlywarning"] == 1 and counts["directory_unit"] > 40
        assert last_seq == before[1] and last_seq >= 6
        assert sequence == before[2]  # the next event continues the sequence, no reuse
        assert TRIGGERS <= triggers
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            restored.execute("UPDATE timeline_event SET kind = 'forged'")


def test_dumps_older_than_the_retention_are_deleted(tmp_path):
    old, recent = tmp_path / "zezhou-20250101-020000.dump", tmp_path / "zezhou-20260101-020000.dump"
    other = tmp_path / "notes.txt"
    for path in (old, recent, other):
        path.write_text("x")
    long_ago = time.time() - 191 * 86400
    os.utime(old, (long_ago, long_ago))
    os.utime(other, (long_ago, long_ago))
    run("prune", env=dict(os.environ, BACKUP_DIR=str(tmp_path), BACKUP_RETENTION_DAYS="190"))
    assert sorted(p.name for p in tmp_path.iterdir()) == [other.name, recent.name]
    run("prune", env=dict(os.environ, BACKUP_DIR=str(tmp_path), BACKUP_RETENTION_DAYS="400"))
    assert recent.exists()
    with pytest.raises(subprocess.CalledProcessError):
        run("prune", env=dict(os.environ, BACKUP_DIR=str(tmp_path), BACKUP_RETENTION_DAYS="six"))


@pytest.mark.postgres
def test_a_failed_dump_leaves_no_file_that_looks_good(tmp_path):
    env = dict(libpq_env(), PGDATABASE=f"zz_missing_{uuid.uuid4().hex[:8]}")
    with pytest.raises(subprocess.CalledProcessError):
        run("dump", str(tmp_path / "zezhou-bad.dump"), env=env)
    assert list(tmp_path.iterdir()) == []
