"""The plan's authority over response levels (§4.3, §4.10), as a matrix: every transition ×
every position × every source state × every level. Allowed ones succeed; the rest are
refused — by the API with 403 (no authority) or 409 (wrong state), by the page with a 403
page that says why."""

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from directory.choices import PositionCode
from directory.models import Unit
from response import services
from response.choices import CONDITIONS
from response.models import Response
from tests.conftest import seeded
from tests.incident_helpers import report_incident
from timeline.models import Event

pytestmark = pytest.mark.django_db

P = PositionCode
RANK = {P.COMMANDER: 3, P.DEPUTY_COMMANDER: 2, P.OFFICE_DIRECTOR: 1}
REQUIRED_RANK = {"I": 3, "II": 2, "III": 1}
STARTER = {"I": P.COMMANDER, "II": P.DEPUTY_COMMANDER, "III": P.OFFICE_DIRECTOR}
CHANGE_TO = {"I": "II", "II": "I", "III": "II"}  # one step, up or down
SOURCE = {"approve": {"proposed"}, "reject": {"proposed"}, "change-level": {"active"},
          "hand-over": {"active"}, "end": {"active", "handed_over"}}
STATES = ["proposed", "rejected", "active", "handed_over", "ended"]
REASON = "研判需要"


def response_in(state, level, users):
    """A response at `level` in `state`, started (when it was) by the lowest authority for
    the level, with the four end conditions confirmed while it was active."""
    incident = seen_by_all(users)
    response = services.response_proposed(actor=users(P.DUTY_OFFICER), incident=incident,
                                          level=level, reason=REASON)
    starter = users(STARTER[level])
    if state == "rejected":
        services.response_rejected(actor=starter, response=response)
    if state in ("active", "handed_over", "ended"):
        services.response_approved(actor=starter, response=response)
        for key, _label in CONDITIONS:
            services.condition_confirmed(actor=users(P.DUTY_OFFICER), response=response,
                                         condition=key)
    if state == "handed_over":
        services.response_handed_over(actor=starter, response=response, to="市指挥部",
                                      at=timezone.now())
    if state == "ended":
        services.response_ended(actor=starter, response=response)
    return Response.objects.get(pk=response.pk)


def seen_by_all(users):
    """In 南村镇 (the test township officers') and reported by the test enterprise, so every
    position but the administrator may see it: refusals are about authority, not sight."""
    return report_incident(users(P.DUTY_OFFICER), reporter_unit=Unit.objects.get(code="ent_demo1"))


def body(transition, level):
    return {"change-level": {"level": CHANGE_TO[level], "reason": REASON},
            "hand-over": {"to": "市供热应急指挥部", "at": timezone.now().isoformat()}}.get(
        transition, {})


def needed_rank(transition, level):
    if transition == "change-level":
        return max(REQUIRED_RANK[level], REQUIRED_RANK[CHANGE_TO[level]])
    return REQUIRED_RANK[level]


class TestTransitionMatrix:
    """All 600 cases through the API. The 15 responses (one per state × level) and the users
    are written once for the class (conftest.seeded); each case runs in a savepoint that is
    rolled back, so it meets its response exactly as response_in left it."""

    @pytest.fixture(scope="class")
    def world(self, django_db_setup, django_db_blocker):
        with seeded(django_db_blocker) as seed:
            yield seed, {(state, level): response_in(state, level, seed.user).pk
                          for state in STATES for level in ("I", "II", "III")}

    @pytest.mark.parametrize("level", ["I", "II", "III"])
    @pytest.mark.parametrize("state", STATES)
    @pytest.mark.parametrize("transition", list(SOURCE))
    @pytest.mark.parametrize("position", list(PositionCode))
    def test_transition_matrix(self, client, world, position, transition, state, level):
        seed, responses = world
        response = Response.objects.get(pk=responses[state, level])
        assert response.state == state and response.level == level
        events_before = Event.objects.count()
        seed.log_in(client, position)  # as client.force_login(seed.user(position))
        answer = client.post(f"/api/responses/{response.pk}/{transition}/",
                             body(transition, level), content_type="application/json")
        authorised = RANK.get(position, 0) >= needed_rank(transition, level)
        if not authorised:
            expected = 403
        elif state not in SOURCE[transition]:
            expected = 409
        else:
            expected = 200
        assert answer.status_code == expected, answer.content
        if expected != 200:
            assert Response.objects.get(pk=response.pk).state == state
            assert Event.objects.count() == events_before


@pytest.mark.parametrize("level", ["I", "II", "III"])
@pytest.mark.parametrize("position", list(PositionCode))
def test_direct_start_and_proposal_by_position(client, users, position, level):
    client.force_login(users(position))
    incident = seen_by_all(users)
    direct = client.post("/api/responses/", {"incident": incident.pk, "level": level,
                                             "reason": REASON, "direct": True},
                         content_type="application/json")
    assert direct.status_code == (201 if RANK.get(position, 0) >= REQUIRED_RANK[level] else 403)
    other = seen_by_all(users)
    proposal = client.post("/api/responses/", {"incident": other.pk, "level": level,
                                               "reason": REASON},
                           content_type="application/json")
    may_propose = position in (P.DUTY_OFFICER, P.OFFICE_DIRECTOR)
    assert proposal.status_code == (201 if may_propose else 403)


def test_a_deputy_cannot_start_or_end_level_one(users):
    incident = report_incident(users(P.DUTY_OFFICER))
    with pytest.raises(PermissionDenied):
        services.response_started_directly(actor=users(P.DEPUTY_COMMANDER), incident=incident,
                                           level="I", reason=REASON)
    response = response_in("active", "I", users)
    with pytest.raises(PermissionDenied):
        services.response_ended(actor=users(P.DEPUTY_COMMANDER), response=response)


def test_the_office_director_cannot_approve_level_two(users):
    incident = report_incident(users(P.DUTY_OFFICER))
    response = services.response_proposed(actor=users(P.DUTY_OFFICER), incident=incident,
                                          level="II", reason=REASON)
    with pytest.raises(PermissionDenied):
        services.response_approved(actor=users(P.OFFICE_DIRECTOR), response=response)


def test_who_started_it_ends_it(users):
    """A Level Ⅱ started by the commander is not ended by a deputy (谁启动、谁负责); one
    started by a deputy is not ended by the office director."""
    by_commander = report_incident(users(P.DUTY_OFFICER))
    response = services.response_started_directly(
        actor=users(P.COMMANDER), incident=by_commander, level="II", reason=REASON)
    for key, _label in CONDITIONS:
        services.condition_confirmed(actor=users(P.DUTY_OFFICER), response=response,
                                     condition=key)
    with pytest.raises(PermissionDenied):
        services.response_ended(actor=users(P.DEPUTY_COMMANDER), response=response)
    services.response_ended(actor=users(P.COMMANDER), response=response)

    by_deputy = response_in("active", "II", users)
    with pytest.raises(PermissionDenied):
        services.response_ended(actor=users(P.OFFICE_DIRECTOR), response=by_deputy)


def test_a_member_unit_liaison_can_do_none_of_it(client, users):
    client.force_login(users(P.UNIT_LIAISON))
    for state in ("proposed", "active"):
        response = response_in(state, "III", users)
        for transition in SOURCE:
            answer = client.post(f"/api/responses/{response.pk}/{transition}/",
                                 body(transition, "III"), content_type="application/json")
            assert answer.status_code == 403


@pytest.mark.parametrize("position, expected", [
    (P.OFFICE_DIRECTOR, 403), (P.DEPUTY_COMMANDER, 302), (P.UNIT_LIAISON, 403)])
def test_the_page_refuses_with_a_clear_message(client, users, position, expected):
    incident = report_incident(users(P.DUTY_OFFICER))
    response = services.response_proposed(actor=users(P.DUTY_OFFICER), incident=incident,
                                          level="II", reason=REASON)
    client.force_login(users(position))
    answer = client.post(f"/response/{response.pk}/approve/")
    assert answer.status_code == expected
    if expected == 403:  # why, and who may: on the page the button was on
        assert "须由指挥长或副指挥长批准。" in answer.content.decode()


def test_the_page_says_when_the_state_is_wrong(client, users):
    response = response_in("ended", "III", users)
    client.force_login(users(P.OFFICE_DIRECTOR))
    answer = client.post(f"/response/{response.pk}/approve/")
    assert answer.status_code == 409
    assert "已终止" in answer.content.decode()  # the state it is in, named
