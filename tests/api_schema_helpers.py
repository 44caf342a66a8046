"""Talking to the API as a client of its OpenAPI schema would: through Django's whole WSGI
stack (middleware, handlers 404/500) and checking each answer against /api/schema/."""

from contextlib import contextmanager

import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from werkzeug.test import Client


@contextmanager
def requests_in_test_transaction():
    """Django's request signals close a connection that is inside a transaction (a `db`
    test's, or a transaction held open for a module); Django's test client disconnects them
    for the same reason. Requests sent by a WSGI client inside this block leave it open."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@contextmanager
def wsgi_client():
    """A Werkzeug client on Django's WSGI handler, for a `db` test."""
    with requests_in_test_transaction():
        yield Client(WSGIHandler())


def served_schema(client):
    """The schema /api/schema/ serves, loaded by schemathesis."""
    answer = client.get("/api/schema/?format=json")
    assert answer.status_code == 200, answer.text
    return schemathesis.openapi.from_dict(answer.json)


def assert_documented(schema, path, method, answer):
    """The answer's status code is one the schema declares for the operation, and its body
    matches the schema declared for that code (schemathesis raises, saying where not)."""
    operation = schema[path][method]
    declared = operation.definition.raw["responses"]
    assert str(answer.status_code) in declared, (
        f"{method} {path} answered {answer.status_code}, declared {sorted(declared)}: "
        f"{answer.text[:300]}")
    operation.validate_response(answer)
