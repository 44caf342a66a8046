"""On PostgreSQL, the database itself refuses UPDATE and DELETE on timeline events, so not
even raw SQL or another client can rewrite the record. (TRUNCATE, used only by test
teardown and by an operator on purpose, is not covered.)"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION timeline_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'timeline events are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER timeline_event_append_only
    BEFORE UPDATE OR DELETE ON timeline_event
    FOR EACH ROW EXECUTE FUNCTION timeline_event_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS timeline_event_append_only ON timeline_event;
DROP FUNCTION IF EXISTS timeline_event_append_only();
"""


def run_on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("timeline", "0001_initial")]

    operations = [migrations.RunPython(run_on_postgresql(CREATE), run_on_postgresql(DROP))]
