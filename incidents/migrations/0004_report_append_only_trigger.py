"""On PostgreSQL, the database itself refuses UPDATE and DELETE on reports, as on timeline
events: a saved report is never rewritten, whatever client connects (issue 11, defect 6)."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION incidents_report_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'reports are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER incidents_report_append_only
    BEFORE UPDATE OR DELETE ON incidents_report
    FOR EACH ROW EXECUTE FUNCTION incidents_report_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS incidents_report_append_only ON incidents_report;
DROP FUNCTION IF EXISTS incidents_report_append_only();
"""


def run_on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("incidents", "0003_text_limits")]

    operations = [migrations.RunPython(run_on_postgresql(CREATE), run_on_postgresql(DROP))]
