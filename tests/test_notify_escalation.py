"""Escalation of an unacknowledged activation notice (notify.escalation): silence takes it to
the unit's leader in charge, then to the office director, each step on the deadline machinery
(claimed once, however many clock runners), stopped by an acknowledgement or the response's
end; a unit without a leader in charge goes straight to the director; every step a sentence
on the timeline in both languages."""

import threading
from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.utils import timezone, translation

from directory.choices import PositionCode, UnitKind
from directory.demo import load_demo
from directory.models import Person, Unit
from directory.services import SYSTEM, leader_in_charge_set
from incidents.clocks import sweep_deadlines
from incidents.models import Deadline
from notify import escalation, services
from notify.backends import backend_for
from notify.choices import MessageKind
from notify.models import Delivery, Escalation, Message, OutboxMessage
from notify.sms_text import segments
from response import services as response_services
from response.models import Notice
from tests.incident_helpers import report_incident
from timeline.models import Event
from timeline.sentences import sentence

P = PositionCode
OUTBOX = {"BACKEND": "notify.backends.outbox.OutboxBackend",
          "OPTIONS": {"receipt_delay_seconds": 0}}


@pytest.fixture(autouse=True)
def _outbox(settings):
    settings.NOTIFY_BACKENDS = {"sms": OUTBOX, "wecom": OUTBOX, "email": OUTBOX}
    backend_for.cache_clear()
    yield
    backend_for.cache_clear()


@pytest.fixture
def office(make_user):
    people = {p: make_user(p) for p in (P.DUTY_OFFICER, P.OFFICE_DIRECTOR, P.COMMANDER)}
    people[P.UNIT_LIAISON] = make_user(P.UNIT_LIAISON, unit_code="gaj")
    return people


@pytest.fixture
def leader(plan):
    """县公安局's leader in charge; the other units have none."""
    unit = Unit.objects.get(code="gaj")
    person = Person.objects.create(name="公安分管领导", unit=unit, mobile="13900009999")
    leader_in_charge_set(actor=SYSTEM, unit=unit, person=person)
    return person


def level_one(office):
    incident = report_incident(office[P.DUTY_OFFICER])
    return response_services.response_started_directly(
        actor=office[P.COMMANDER], incident=incident, level="I", reason="万户停暖")


def later(minutes):
    return timezone.now() + timedelta(minutes=minutes)


def step_message(notice, step):
    return Message.objects.filter(cause=f"escalation:{notice.pk}:{step}").first()


def told(message):
    return list(Delivery.objects.filter(message=message).values_list("recipient", "channel"))


def escalated(notice):
    return list(Event.objects.filter(kind="notice.escalated", subject_id=str(notice.pk))
                .order_by("seq"))


def read(event, language):
    with translation.override(language):
        return sentence(event)


@pytest.mark.django_db
def test_the_leader_in_charge_is_directory_data_on_the_timeline_and_the_unit_page(leader,
                                                                                  client_as):
    event = Event.objects.filter(kind="directory.unit.updated").latest("seq")
    assert event.new == {"leader_in_charge": str(leader)}
    with translation.override("zh-hans"):
        assert "分管领导" in sentence(event)
    client, _user = client_as(P.DUTY_OFFICER)
    page = client.get("/directory/units/gaj/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "分管领导" in page and "公安分管领导" in page


@pytest.mark.django_db
def test_the_demo_gives_every_member_unit_a_leader_in_charge(plan, settings):
    settings.DEMO_ACCOUNTS_ENABLED = True
    load_demo()
    load_demo()  # safe to rerun: nobody is made twice
    members = Unit.objects.filter(kind=UnitKind.MEMBER)
    assert not members.filter(leader_in_charge__isnull=True).exists()
    assert Person.objects.filter(units_led__in=members).distinct().count() == members.count()


@pytest.mark.django_db
def test_silence_goes_to_the_leader_in_charge_then_to_the_office_director(office, leader):
    response = level_one(office)
    notice = response.notices.get(unit__code="gaj")
    director = office[P.OFFICE_DIRECTOR].person.name
    sweep_deadlines(later(16))
    first = step_message(notice, 1)
    assert first.kind == MessageKind.ESCALATION
    assert told(first) == [("公安分管领导", "sms")]
    assert "县公安局已15分钟未确认" in first.text and segments(first.text) == 1
    services.hand_over_due()
    assert OutboxMessage.objects.filter(address="13900009999", text=first.text).exists()
    clock = Deadline.objects.get(kind="escalation", escalation__notice=notice)
    assert clock.unit.code == "gaj" and clock.remind_at == clock.due_at
    assert step_message(notice, 2) is None
    assert sweep_deadlines(later(16)) == (0, 0)  # nothing runs twice

    sweep_deadlines(later(26))
    second = step_message(notice, 2)
    assert told(second) == [(director, "sms")]
    assert "县公安局已25分钟未确认" in second.text and "已报公安分管领导" in second.text
    assert segments(second.text) == 1
    steps = list(notice.escalations.values_list("step", "recipients", "skipped"))
    assert steps == [(1, ["公安分管领导"], ""), (2, [director], "")]
    assert not Deadline.objects.filter(kind="escalation", escalation__notice=notice,
                                       escalation__step=2).exists()  # the ladder ends there
    one, two = escalated(notice)
    assert "分管领导" in read(one, "zh-hans") and "公安分管领导" in read(one, "zh-hans")
    assert "leader in charge" in read(one, "en")
    assert "办公室主任" in read(two, "zh-hans") and "office director" in read(two, "en")
    # the unit's clocks are told by the ladder alone, not as clock alerts to the office
    assert not Message.objects.filter(deadline__kind__in=["notice_ack", "escalation"]).exists()


@pytest.mark.django_db
def test_a_unit_without_a_leader_in_charge_goes_straight_to_the_director(office, leader):
    response = level_one(office)
    notice = response.notices.get(unit__code="zjj")
    sweep_deadlines(later(16))
    assert step_message(notice, 1) is None
    assert told(step_message(notice, 2)) == [(office[P.OFFICE_DIRECTOR].person.name, "sms")]
    assert "未设分管领导" in step_message(notice, 2).text
    assert list(notice.escalations.values_list("step", "skipped")) == [
        (1, "no_leader_in_charge"), (2, "")]
    assert not Deadline.objects.filter(kind="escalation", escalation__notice=notice).exists()
    skipped, _sent = escalated(notice)
    assert "未设分管领导" in read(skipped, "zh-hans")
    assert "no leader in charge" in read(skipped, "en")


@pytest.mark.django_db
def test_an_acknowledgement_between_steps_stops_the_ladder(office, leader):
    response = level_one(office)
    notice = response.notices.get(unit__code="gaj")
    sweep_deadlines(later(16))
    response_services.notice_acknowledged(actor=office[P.UNIT_LIAISON], notice=notice)
    clock = Deadline.objects.get(kind="escalation", escalation__notice=notice)
    assert clock.met_at is not None
    sweep_deadlines(later(26))
    assert step_message(notice, 2) is None
    assert list(notice.escalations.values_list("step", flat=True)) == [1]


@pytest.mark.django_db
def test_an_acknowledgement_in_time_escalates_nothing(office, leader):
    response = level_one(office)
    notice = response.notices.get(unit__code="gaj")
    response_services.notice_acknowledged(actor=office[P.UNIT_LIAISON], notice=notice)
    sweep_deadlines(later(16))
    assert not notice.escalations.exists() and step_message(notice, 1) is None


@pytest.mark.django_db
def test_a_hand_over_cancels_the_pending_steps(office, leader):
    response = level_one(office)
    sweep_deadlines(later(16))
    response_services.response_handed_over(actor=office[P.COMMANDER], response=response,
                                           to="市指挥部", at=timezone.now())
    assert not Deadline.objects.filter(kind="escalation").unsettled().exists()
    sweep_deadlines(later(26))
    assert not Escalation.objects.filter(step=2, notice__unit__code="gaj").exists()


@pytest.mark.django_db
def test_a_runner_that_dies_mid_step_leaves_nothing_and_the_next_one_takes_the_step(
        office, leader, monkeypatch):
    response = level_one(office)
    notice = response.notices.get(unit__code="gaj")

    def dies(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    with monkeypatch.context() as patch:
        patch.setattr(escalation, "append_event", dies)  # after the message and the clock
        with pytest.raises(OperationalError):
            sweep_deadlines(later(16))
    assert not Escalation.objects.exists() and step_message(notice, 1) is None
    assert not Deadline.objects.filter(kind="escalation").exists()
    assert Deadline.objects.get(notice=notice).overdue_at is None  # its claim undone too
    sweep_deadlines(later(16))
    assert told(step_message(notice, 1)) == [("公安分管领导", "sms")]
    assert notice.escalations.count() == 1


@pytest.mark.postgres  # SKIP LOCKED
@pytest.mark.django_db(transaction=True)
def test_two_clock_runners_at_once_take_each_step_once(office, leader):
    response = level_one(office)
    notices = Notice.objects.filter(response=response).count()

    def race(moment):
        start, errors = threading.Barrier(2), []

        def runner():
            try:
                start.wait()
                sweep_deadlines(moment)
            except Exception as error:  # pragma: no cover - shown by the assertion below
                errors.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=runner) for _n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []

    race(later(16))
    # gaj: step 1 to its leader; every other unit: step 1 skipped, step 2 to the director
    assert Escalation.objects.filter(step=1).count() == notices
    assert Escalation.objects.filter(step=2).count() == notices - 1
    assert Deadline.objects.filter(kind="escalation").count() == 1
    race(later(26))
    assert Escalation.objects.filter(step=2).count() == notices
    assert Message.objects.filter(kind=MessageKind.ESCALATION).count() == 2 * notices - (
        notices - 1)
    assert Event.objects.filter(kind="notice.escalated").count() == 2 * notices
    assert Event.objects.filter(kind="deadline.overdue").count() == notices + 1
