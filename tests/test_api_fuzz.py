"""Schema fuzzing: schemathesis against the OpenAPI schema the API serves (/api/schema/),
every operation, as a duty officer and as a member-unit liaison.

Each generated request goes through Django's whole WSGI stack in this process, against the
test database (PostgreSQL in CI) with a small world in it (an incident with an inquiry, an
active response with its notices and checklist, warnings, a shift on duty now), and its
answer is checked: no 5xx, a status code the schema declares, and a body that matches the
schema for that code. Path parameters are drawn from the world's real ids half the time, so
the reading and writing operations meet real objects and not only 404s.

Bounded for the suite: FUZZ_EXAMPLES (5) cases per operation and role from Hypothesis
(valid and invalid input both) and the schema's own examples, derandomized so that every run
sends the same requests: about 500 requests, some 13 s in one process. `make fuzz`
(bench/api_fuzz.py) runs the same tests deeper (FUZZ_EXAMPLES=100 and schemathesis' coverage
phase: FUZZ_PHASES) and prints the figures.
"""

import os
from collections import Counter
from datetime import timedelta

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.db import transaction
from django.db.models import Case, When
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import TestPhase

from directory.choices import PositionCode as P
from directory.models import DutyShift, Person, TaskGroup, Unit
from incidents import services as incident_services
from incidents.api import TRANSITIONS
from response import services as response_services
from tests.api_schema_helpers import requests_in_test_transaction
from tests.conftest import seeded
from tests.incident_helpers import report_incident
from tests.warning_helpers import complete_draft

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
PHASES = os.environ.get("FUZZ_PHASES", "examples,fuzzing").split(",")
ROLES = {"duty_officer": P.DUTY_OFFICER, "liaison": P.UNIT_LIAISON}

# What the run sent and got (bench/api_fuzz.py prints them): requests by (role, operation),
# and by (role, operation, status code).
CASES = Counter()
STATUSES = Counter()


def _schema():
    """The document /api/schema/ serves (drf-spectacular), made here rather than fetched
    so that collecting the tests needs no database."""
    schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
    schema.config.generation.update(max_examples=EXAMPLES, deterministic=True)
    schema.config.phases.update(phases=PHASES)
    return schema


SCHEMA = _schema()
APP = WSGIHandler()
CHECKS = [schemathesis.checks.not_a_server_error, schemathesis.checks.status_code_conformance,
          schemathesis.checks.content_type_conformance,
          schemathesis.checks.response_schema_conformance]

# The world's objects, by path parameter of each path prefix (filled by the `world` fixture).
WORLD = {}


def _known(path):
    """Path parameters naming objects of the world, for `path`."""
    for prefix, names in [
        ("/api/checklist-items/", {"id": "checklist"}),
        ("/api/directory/people/", {"id": "person"}),
        ("/api/directory/shifts/", {"id": "shift"}),
        ("/api/directory/task-groups/", {"code": "task_group"}),
        ("/api/directory/units/", {"code": "unit"}),
        ("/api/incidents/", {"id": "incident", "inquiry_pk": "inquiry",
                             "transition": "transition"}),
        ("/api/notices/", {"id": "notice"}),
        ("/api/responses/", {"id": "response"}),
        ("/api/warnings/", {"id": "warning", "version": "version"}),
    ]:
        if path.startswith(prefix):
            return names
    return {}


@SCHEMA.hook
def flatmap_path_parameters(context, path_parameters):
    """Half the time, the parameters of a real object of the world instead of random ones."""
    names = _known(context.operation.path)
    if not names or not path_parameters or not WORLD:  # WORLD: empty while collecting
        return st.just(path_parameters)
    real = st.fixed_dictionaries({
        name: st.sampled_from(WORLD[kind]) for name, kind in names.items()
        if name in path_parameters})
    return st.one_of(st.just(path_parameters), real.map(lambda ids: {**path_parameters, **ids}))


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The objects the fuzzer meets, written once for the module in a transaction held open
    and rolled back after it (conftest.seeded); each test runs in a savepoint of its own."""
    with requests_in_test_transaction(), seeded(django_db_blocker) as seed:
        yield _build_world(seed)


def _build_world(seed):
    now = timezone.now()
    duty, commander = seed.user(P.DUTY_OFFICER), seed.user(P.COMMANDER)
    incident = report_incident(duty)
    inquiry = incident_services.inquiry_recorded(
        actor=duty, incident=incident, asked_by="市供热应急指挥部", asked_at=now,
        question="伤亡情况核实")
    gaj = Unit.objects.get(code="gaj")
    # gaj (the liaison's unit) is a member of both; rescue has the scenario's playbook items.
    groups = list(TaskGroup.objects.filter(code__in=["coordination", "rescue"]))
    response = response_services.response_started_directly(
        actor=commander, incident=incident, level="III", reason="抢修", task_groups=groups)
    proposed = response_services.response_proposed(
        actor=duty, incident=report_incident(duty, place="西街"), level="III", reason="待批")
    draft = complete_draft(duty)
    DutyShift.objects.create(unit=gaj, person=Person.objects.get(user=seed.user(P.UNIT_LIAISON)),
                             starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=7))
    # Each list starts with what the liaison may see (its unit's notice, its group's items).
    notices = response.notices.order_by(Case(When(unit=gaj, then=0), default=1), "pk")
    items = response.checklist.order_by(
        Case(When(task_group__member_units=gaj, then=0), default=1), "pk")
    WORLD.update(
        checklist=list(dict.fromkeys(items.values_list("pk", flat=True))),
        person=list(Person.objects.values_list("pk", flat=True)[:20]),
        shift=list(DutyShift.objects.values_list("pk", flat=True)),
        task_group=list(TaskGroup.objects.values_list("code", flat=True)),
        unit=list(Unit.objects.values_list("code", flat=True)[:20]),
        incident=[incident.pk, proposed.incident_id],
        inquiry=[inquiry.pk],
        transition=TRANSITIONS,
        notice=list(notices.values_list("pk", flat=True)),
        response=[response.pk, proposed.pk],
        warning=[draft.pk],
        version=[1],
    )
    return {role: Token.objects.create(user=seed.user(position)).key
            for role, position in ROLES.items()}


@pytest.fixture(params=list(ROLES))
def role(request):
    return request.param


def _meet_the_world(case, n):
    """A case of the examples or coverage phase (which leave out the path hook above) that
    is about its body or query, not about its path: addressed to a real object, the n-th."""
    phase = case.meta.phase if case.meta else None
    if phase is None or phase.name == TestPhase.FUZZING or not case.path_parameters:
        return
    if getattr(phase.data, "parameter_location", None) == ParameterLocation.PATH:
        return
    for name, kind in _known(case.operation.path).items():
        if name in case.path_parameters:
            case.path_parameters[name] = WORLD[kind][n % len(WORLD[kind])]


@SCHEMA.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_answers_as_its_schema_says(case, world, role, db):
    label = case.operation.label
    _meet_the_world(case, CASES[role, label])
    with transaction.atomic():  # each request meets the world as it was built
        response = case.call(app=APP, headers={"Authorization": f"Token {world[role]}"})
        transaction.set_rollback(True)
    CASES[role, label] += 1
    answer = str(response.status_code) if case.method == case.operation.method.upper() else (
        f"{case.method} {response.status_code}")  # the coverage phase tries other methods
    STATUSES[role, label, answer] += 1
    case.validate_response(response, checks=CHECKS)
