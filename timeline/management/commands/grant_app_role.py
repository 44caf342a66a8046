"""Creates (or updates) the PostgreSQL role the application runs as, separate from the role
that owns the tables and runs the migrations (issue 11, defect 6):

- no superuser, no CREATEDB/CREATEROLE/REPLICATION/BYPASSRLS: it cannot switch off triggers
  (`session_replication_role`), drop or disable them, or alter tables, which needs the owner;
- SELECT, INSERT, UPDATE, DELETE on the tables, but only SELECT and INSERT on the append-only
  ones (every model built on zezhou_heat.models.AppendOnlyModel: timeline events, reports),
  and TRUNCATE on none;
- the same for tables later migrations create (default privileges of the owner).

Run it as the owner after `migrate`: `manage.py grant_app_role zezhou_app` with the password
in APP_DATABASE_PASSWORD; the web server and workers then connect as that role."""

import os

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from psycopg import sql

from zezhou_heat.models import AppendOnlyModel


def append_only_tables():
    return sorted(model._meta.db_table for model in apps.get_models()
                  if issubclass(model, AppendOnlyModel))


class Command(BaseCommand):
    help = "Create or update the non-superuser PostgreSQL role the application runs as."

    def add_arguments(self, parser):
        parser.add_argument("role", help="name of the application's role, e.g. zezhou_app")

    def handle(self, *args, role, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Roles are a PostgreSQL matter; the embedded SQLite has none.")
        password = os.environ.get("APP_DATABASE_PASSWORD") or None
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in grants(role, password, connection.settings_dict["NAME"]):
                cursor.execute(statement)
        self.stdout.write(f"Role {role}: ready; append-only for it: {', '.join(append_only_tables())}.")


def grants(role, password, database):
    name = sql.Identifier(role)
    exists = sql.SQL("SELECT 1 FROM pg_roles WHERE rolname = {}").format(sql.Literal(role))
    yield sql.SQL("DO $$ BEGIN IF NOT EXISTS ({exists}) THEN CREATE ROLE {name} LOGIN; END IF; "
                  "END $$").format(exists=exists, name=name)
    yield sql.SQL("ALTER ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
                  "NOBYPASSRLS PASSWORD {}").format(name, sql.Literal(password))
    yield sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(
        sql.Identifier(database), name)
    yield sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(name)
    yield sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {}").format(name)
    yield sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}"
                  ).format(name)
    for table in append_only_tables():
        yield sql.SQL("REVOKE UPDATE, DELETE ON {} FROM {}").format(sql.Identifier(table), name)
    yield sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(name)
    yield sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE "
                  "ON TABLES TO {}").format(name)
    yield sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES "
                  "TO {}").format(name)
