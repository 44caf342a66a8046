"""Escalation of an unacknowledged activation notice (notify.escalation): silence takes it to
the unit's leader in charge, then to the office director, each step on the deadline machinery
(claimed once, however many clock runners), stopped by an acknowledgement or the response's
end; a unit without a leader in charge goes straight to the director; the director gets one
message per incident naming its silent units (the digest, made once however many runners);
every step a sentence on the timeline in both languages."""

import threading
from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.utils import timezone, translation

from directory.choices import PositionCode, UnitKind
from directory.demo import load_demo
from directory.models import Person, Unit
from directory.services import SYSTEM, leader_in_charge_set
from incidents.clocks import meet, sweep_deadlines
from incidents.models import Deadline
from notify import escalation, services, tasks, texts
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
    row = notice.escalations.filter(step=step).select_related("message").first()
    return row.message if row else None


def swept(minutes):
    """The clocks swept `minutes` from now, then the director's digests made, as beat does."""
    sweep_deadlines(later(minutes))
    return escalation.escalation_digests_sent(later(minutes))


def only_silent(response, *codes):
    """Every unit of the response but `codes` acknowledged its notice in time."""
    for notice in response.notices.exclude(unit__code__in=codes).select_related("deadline"):
        Notice.objects.filter(pk=notice.pk).update(acknowledged_at=timezone.now())
        meet(notice.deadline, timezone.now())


def director_messages():
    return list(Message.objects.filter(kind=MessageKind.ESCALATION, escalations__step=2)
                .distinct().order_by("pk"))


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
    swept(16)  # the units without a leader in charge go to the director: one digest
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

    swept(26)
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
    swept(16)
    assert step_message(notice, 1) is None
    assert told(step_message(notice, 2)) == [(office[P.OFFICE_DIRECTOR].person.name, "sms")]
    assert "县住建局" in step_message(notice, 2).text
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
    swept(16)
    response_services.notice_acknowledged(actor=office[P.UNIT_LIAISON], notice=notice)
    clock = Deadline.objects.get(kind="escalation", escalation__notice=notice)
    assert clock.met_at is not None
    swept(26)
    assert step_message(notice, 2) is None
    assert list(notice.escalations.values_list("step", flat=True)) == [1]


@pytest.mark.django_db
def test_an_acknowledgement_in_time_escalates_nothing(office, leader):
    response = level_one(office)
    notice = response.notices.get(unit__code="gaj")
    response_services.notice_acknowledged(actor=office[P.UNIT_LIAISON], notice=notice)
    swept(16)
    assert not notice.escalations.exists() and step_message(notice, 1) is None


@pytest.mark.django_db
def test_a_hand_over_cancels_the_pending_steps(office, leader):
    response = level_one(office)
    sweep_deadlines(later(16))
    response_services.response_handed_over(actor=office[P.COMMANDER], response=response,
                                           to="市指挥部", at=timezone.now())
    assert not Deadline.objects.filter(kind="escalation").unsettled().exists()
    swept(26)
    assert not Escalation.objects.filter(step=2, notice__unit__code="gaj").exists()
    # the units gone to the director before the hand-over, not yet told: settled, no message
    assert director_messages() == []
    assert set(Escalation.objects.filter(step=2).values_list("skipped", flat=True)) == {
        "response_ended_or_handed_over"}


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
def at_once(run, runners=2):
    """`run` in `runners` threads started together, each on its own connection: their
    results; any error fails the test."""
    start, results, errors = threading.Barrier(runners), [], []

    def runner():
        try:
            start.wait()
            results.append(run())
        except Exception as error:  # pragma: no cover - shown by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner) for _n in range(runners)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


@pytest.mark.django_db(transaction=True)
def test_two_clock_runners_at_once_take_each_step_once(office, leader):
    response = level_one(office)
    notices = Notice.objects.filter(response=response).count()

    def race(moment):
        at_once(lambda: sweep_deadlines(moment))

    race(later(16))
    # gaj: step 1 to its leader; every other unit: step 1 skipped, step 2 to the director
    assert Escalation.objects.filter(step=1).count() == notices
    assert Escalation.objects.filter(step=2).count() == notices - 1
    assert Deadline.objects.filter(kind="escalation").count() == 1
    escalation.escalation_digests_sent(later(16))
    race(later(26))
    escalation.escalation_digests_sent(later(26))
    assert Escalation.objects.filter(step=2).count() == notices
    # step 1 to gaj's leader; the director: the others in one message, then gaj
    assert Message.objects.filter(kind=MessageKind.ESCALATION).count() == 3
    assert len(director_messages()) == 2
    assert Event.objects.filter(kind="notice.escalated").count() == 2 * notices
    assert Event.objects.filter(kind="deadline.overdue").count() == notices + 1


def two_incidents_silent(office):
    """Two incidents at Level Ⅰ in two townships; of each, 县住建局, 县发改局 and 县公安局 never
    acknowledge. Their first clocks fall due: 县公安局's leader is told, the others go to the
    director."""
    townships = Unit.objects.filter(kind=UnitKind.TOWNSHIP).order_by("order")[:2]
    responses = []
    for township in townships:
        incident = report_incident(office[P.DUTY_OFFICER], township=township)
        response = response_services.response_started_directly(
            actor=office[P.COMMANDER], incident=incident, level="I", reason="万户停暖")
        only_silent(response, "zjj", "fgj", "gaj")
        responses.append(response)
    return responses


@pytest.mark.django_db
def test_the_director_gets_one_message_per_incident_naming_its_silent_units(office, leader):
    first, second = two_incidents_silent(office)
    swept(16)
    assert len(director_messages()) == 2  # 县住建局 and 县发改局 of each incident
    swept(26)  # 县公安局 of each, after its leader: one more each
    messages = director_messages()
    assert len(messages) == 4
    for response in (first, second):
        [early, late] = [m for m in messages if m.response_id == response.pk]
        name = f"#{response.incident.pk}"
        assert early.text.startswith(name) and "县住建局、县发改局2个单位" in early.text
        assert "未设分管领导" in early.text and segments(early.text) == 1
        assert told(early) == [(office[P.OFFICE_DIRECTOR].person.name, "sms")]
        assert "县公安局已25分钟未确认" in late.text and "已报公安分管领导" in late.text
    assert Escalation.objects.filter(step=2, message__isnull=True).count() == 0
    # the timeline keeps one event per notice and step
    assert Event.objects.filter(kind="notice.escalated", new__step=2).count() == 6


@pytest.mark.django_db
def test_three_units_silent_at_once_reach_the_director_in_one_message(office):
    leaders = {}
    for code in ("zjj", "fgj", "gaj"):
        unit = Unit.objects.get(code=code)
        leaders[code] = Person.objects.create(name=f"{unit.short_name[1:3]}分管领导", unit=unit,
                                              mobile=f"1390000{len(leaders)}000")
        leader_in_charge_set(actor=SYSTEM, unit=unit, person=leaders[code])
    response = level_one(office)
    only_silent(response, "zjj", "fgj", "gaj")
    swept(16)
    assert director_messages() == []  # each leader told first
    swept(26)
    [message] = director_messages()
    assert "县住建局、县发改局、县公安局3个单位启动通知超25分钟未确认" in message.text
    assert "已报分管领导" in message.text and segments(message.text) == 1
    assert told(message) == [(office[P.OFFICE_DIRECTOR].person.name, "sms")]
    steps = Escalation.objects.filter(step=2).order_by("notice__unit__order")
    assert [(s.message, s.recipients) for s in steps] == [
        (message, [office[P.OFFICE_DIRECTOR].person.name])] * 3
    events = Event.objects.filter(kind="notice.escalated", new__step=2).order_by("seq")
    assert [e.new["previous"] for e in events] == [
        [leaders["zjj"].name], [leaders["fgj"].name], [leaders["gaj"].name]]
    with translation.override("en"):
        assert "office director" in sentence(events[0])


@pytest.mark.django_db
def test_a_burst_of_many_units_names_the_first_few_and_counts_them_in_one_sms(office):
    response = level_one(office)
    swept(16)
    [message] = director_messages()
    count = response.notices.count()
    assert "县委宣传部、县住建局、" in message.text and f"等{count}个单位" in message.text
    assert "未设分管领导" in message.text and segments(message.text) == 1
    with translation.override("en"):
        english = texts.escalation_digest(response, ["A", "B", "C"], 15, 1)
    assert "(3 units)" in english and "some units have none" in english


@pytest.mark.django_db
def test_a_notice_acknowledged_before_the_digest_is_not_named(office):
    response = level_one(office)
    only_silent(response, "zjj", "fgj", "gaj")
    sweep_deadlines(later(16))  # none has a leader in charge: all three wait for the digest
    response_services.notice_acknowledged(actor=office[P.UNIT_LIAISON],
                                          notice=response.notices.get(unit__code="gaj"))
    escalation.escalation_digests_sent(later(16))
    [message] = director_messages()
    assert "县住建局、县发改局2个单位" in message.text and "县公安局" not in message.text
    gaj = Escalation.objects.get(step=2, notice__unit__code="gaj")
    assert (gaj.message, gaj.skipped) == (None, "acknowledged_meanwhile")
    assert not Event.objects.filter(kind="notice.escalated", new__step=2,
                                    new__unit="县公安局").exists()


@pytest.mark.django_db
def test_a_burst_still_arriving_waits_unless_its_oldest_has_waited_too_long(office):
    response = level_one(office)
    only_silent(response, "zjj", "fgj")
    sweep_deadlines(later(16))
    now = timezone.now()
    assert escalation.escalation_digests_sent(now) == []  # the steps are a moment old
    assert escalation.escalation_digests_sent(
        now + timedelta(seconds=escalation.DIGEST_QUIET_SECONDS + 1)) != []
    assert len(director_messages()) == 1
    assert escalation.escalation_digests_sent(later(60)) == []  # nothing twice


@pytest.mark.django_db
def test_a_steady_trickle_does_not_hold_back_the_digest(office):
    response = level_one(office)
    only_silent(response, "zjj", "fgj")
    sweep_deadlines(later(16))
    oldest = Escalation.objects.get(step=2, notice__unit__code="zjj")
    Escalation.objects.filter(pk=oldest.pk).update(created_at=timezone.now() - timedelta(
        seconds=escalation.DIGEST_LONGEST_WAIT_SECONDS + 1))
    Escalation.objects.filter(step=2, notice__unit__code="fgj").update(
        created_at=timezone.now())  # just arrived
    [message] = escalation.escalation_digests_sent(timezone.now())
    assert "县住建局、县发改局" in message.text


@pytest.mark.django_db
def test_a_runner_that_dies_mid_digest_leaves_it_pending_for_the_next(office, monkeypatch):
    response = level_one(office)
    only_silent(response, "zjj", "fgj")
    sweep_deadlines(later(16))

    def dies(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    with monkeypatch.context() as patch:
        patch.setattr(escalation, "append_event", dies)  # after the message and the links
        with pytest.raises(OperationalError):
            escalation.escalation_digests_sent(later(16))
    assert director_messages() == []
    assert Escalation.objects.filter(step=2, message__isnull=True, skipped="").count() == 2
    [message] = escalation.escalation_digests_sent(later(16))
    assert "县住建局、县发改局2个单位" in message.text
    assert Event.objects.filter(kind="notice.escalated", new__step=2).count() == 2


@pytest.mark.postgres  # SKIP LOCKED
@pytest.mark.django_db(transaction=True)
def test_two_digest_runners_at_once_make_one_message(office):
    response = level_one(office)
    only_silent(response, "zjj", "fgj", "gaj")
    sweep_deadlines(later(16))
    made = at_once(lambda: escalation.escalation_digests_sent(later(16)))
    [message] = director_messages()
    assert [m.pk for m in sum(made, [])] == [message.pk]
    assert "3个单位" in message.text
    assert Event.objects.filter(kind="notice.escalated", new__step=2).count() == 3


@pytest.mark.django_db
def test_beats_sweep_makes_the_digest_and_hands_it_over(office):
    response = level_one(office)
    only_silent(response, "zjj", "fgj")
    sweep_deadlines(later(16))
    Escalation.objects.filter(step=2).update(created_at=timezone.now() - timedelta(
        seconds=escalation.DIGEST_QUIET_SECONDS + 1))
    tasks.sweep()
    [message] = director_messages()
    assert OutboxMessage.objects.filter(text=message.text).count() == 1


@pytest.mark.django_db
def test_the_leader_is_told_when_the_unit_had_nobody_to_receive_the_notice(office, leader):
    """县住建局 has a leader in charge but no liaison and no mobile duty phone: its notice went
    to nobody, and the leader must not read that its contacts were told."""
    housing = Unit.objects.get(code="zjj")
    housing_leader = Person.objects.create(name="住建分管领导", unit=housing, mobile="13900007777")
    leader_in_charge_set(actor=SYSTEM, unit=housing, person=housing_leader)
    response = level_one(office)
    swept(16)
    to_housing = step_message(response.notices.get(unit__code="zjj"), 1)
    to_police = step_message(response.notices.get(unit__code="gaj"), 1)
    assert "县住建局" in to_housing.text and "通讯录中无其联络人，请电话通知" in to_housing.text
    assert "已通知其联络员" not in to_housing.text and segments(to_housing.text) == 1
    assert "已通知其联络员" in to_police.text  # 县公安局's liaison was sent it


@pytest.mark.django_db
def test_names_in_an_escalation_text_are_listed_in_the_text_s_language(office):
    from notify import texts

    notice = level_one(office).notices.get(unit__code="gaj")
    with translation.override("en"):
        assert "already sent to Li Ming, Wang Fang." in texts.escalation(
            notice, 25, ["Li Ming", "Wang Fang"])
    with translation.override("zh-hans"):
        assert "已报张三、李四" in texts.escalation(notice, 25, ["张三", "李四"])
