"""Messages to people (notify): made in the transaction of their cause, handed to the backend
exactly once, retried with backoff on temporary failures, failed over to the next channel,
updated from receipts, on the timeline without a whole phone number, and the outbox page."""

import logging
import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from directory.choices import PositionCode
from directory.models import Person, Unit
from notify import services
from notify.backends import backend_for
from notify.backends.base import Backend, Handed, Receipt, SendFailure
from notify.choices import ATTEMPTS_EXHAUSTED, Channel, DeliveryStatus, MessageKind
from notify.models import ChannelAddress, Delivery, Message
from response import services as response_services
from tests.incident_helpers import report_incident
from timeline.models import Event

P = PositionCode
OUTBOX = "notify.backends.outbox.OutboxBackend"


def outbox(**options):
    return {"BACKEND": OUTBOX, "OPTIONS": {"receipt_delay_seconds": 0, **options}}


def backends(settings, sms, wecom=None, email=None):
    """Point every channel at a backend for this test, made afresh."""
    settings.NOTIFY_BACKENDS = {"sms": sms, "wecom": wecom or outbox(), "email": email or outbox()}
    backend_for.cache_clear()


@pytest.fixture(autouse=True)
def _fresh_backends(settings):
    backends(settings, outbox())
    yield
    backend_for.cache_clear()


@pytest.fixture
def office(make_user):
    return {p: make_user(p) for p in (P.DUTY_OFFICER, P.OFFICE_DIRECTOR, P.COMMANDER)}


def level_one(office):
    incident = report_incident(office[P.DUTY_OFFICER])
    return response_services.response_started_directly(
        actor=office[P.COMMANDER], incident=incident, level="I", reason="万户停暖")


def liaison(make_user, unit_code):
    return make_user(P.UNIT_LIAISON, unit_code=unit_code).person


def activation_deliveries():
    return Delivery.objects.filter(message__kind=MessageKind.ACTIVATION)


# --- made with the cause ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_level_one_activation_sends_each_unit_s_liaisons_and_duty_phone_one_sms(
        office, make_user):
    police, housing = liaison(make_user, "gaj"), liaison(make_user, "zjj")
    second_police = liaison(make_user, "gaj")
    Unit.objects.filter(code="gaj").update(duty_phone="13912340000")

    response = level_one(office)

    notices = list(response.notices.all())
    assert len(notices) > 10  # all eight task groups' units
    assert Message.objects.filter(kind=MessageKind.ACTIVATION).count() == len(notices)
    rows = list(activation_deliveries().values_list("person", "unit__code", "channel",
                                                    "address", "status"))
    assert sorted(rows, key=str) == sorted([
        (police.pk, "gaj", "sms", police.mobile, "queued"),
        (second_police.pk, "gaj", "sms", second_police.mobile, "queued"),
        (housing.pk, "zjj", "sms", housing.mobile, "queued"),
        (None, "gaj", "sms", "13912340000", "queued"),  # the unit's duty phone, a mobile
    ], key=str)  # the other units' duty phones are landlines: no SMS
    message = Message.objects.get(notice__unit__code="gaj")
    assert message.incident == response.incident and message.response == response
    assert message.event.kind == "response.started"
    assert "15" in message.text and "Ⅰ级响应" in message.text


@pytest.mark.django_db
def test_an_activation_rolled_back_leaves_no_message(office, make_user):
    liaison(make_user, "gaj")
    with pytest.raises(RuntimeError), transaction.atomic():
        level_one(office)
        assert activation_deliveries().exists()
        raise RuntimeError("the activation fails after the notices were written")
    assert not Message.objects.exists() and not Delivery.objects.exists()


@pytest.mark.django_db
def test_the_same_cause_is_never_told_twice(office, make_user):
    liaison(make_user, "gaj")
    response = level_one(office)
    started = Event.objects.get(kind="response.started", subject_id=str(response.pk))
    before = activation_deliveries().count()
    assert services.messages_created(event=started) == []
    assert activation_deliveries().count() == before


# --- handing over, exactly once -----------------------------------------------------------------


class CountingBackend(Backend):
    """Takes every message, slowly, and counts what it was given (per process)."""

    channel = None
    sent = Counter()
    lock = threading.Lock()

    def send(self, outgoing):
        with self.lock:
            self.sent[outgoing.key] += 1
        threading.Event().wait(0.02)
        return Handed(provider_ref=f"C-{outgoing.key}", segments=1)


@pytest.mark.postgres  # SKIP LOCKED; SQLite serialises the two anyway
@pytest.mark.django_db(transaction=True)
def test_two_workers_handing_over_at_once_hand_each_delivery_once(settings, office, make_user):
    for code in ("gaj", "zjj", "gaj", "zjj", "gaj"):
        liaison(make_user, code)
    backends(settings, {"BACKEND": "tests.test_notify_core.CountingBackend"})
    CountingBackend.sent.clear()
    level_one(office)
    keys = set(activation_deliveries().values_list("key", flat=True))
    assert len(keys) == 5
    start = threading.Barrier(2)
    errors = []

    def worker():
        try:
            start.wait()
            services.hand_over_due()
        except Exception as error:  # pragma: no cover - shown by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert dict(CountingBackend.sent) == {key: 1 for key in keys}
    assert set(activation_deliveries().values_list("status", flat=True)) == {"sent"}
    assert Event.objects.filter(kind="notify.delivery.sent").count() == 5


class ScriptedBackend(Backend):
    """Answers each address as scripted: a list of "temporary" / "permanent" / "ok", one per
    attempt (the last repeated)."""

    channel = None
    script = {}
    calls = Counter()

    def send(self, outgoing):
        self.calls[outgoing.address] += 1
        steps = self.script.get(outgoing.address, ["ok"])
        step = steps[min(self.calls[outgoing.address], len(steps)) - 1]
        if step == "ok":
            return Handed(provider_ref=f"S-{outgoing.key}", segments=1)
        raise SendFailure(f"gw.{step}", "scripted", temporary=step == "temporary")


@pytest.fixture
def scripted(settings):
    ScriptedBackend.script, ScriptedBackend.calls = {}, Counter()
    scripted = {"BACKEND": "tests.test_notify_core.ScriptedBackend"}
    backends(settings, scripted, scripted, scripted)
    return ScriptedBackend.script


@pytest.fixture
def police(make_user):
    """A liaison of 县公安局 with a mobile, a WeCom id and an e-mail address."""
    person = liaison(make_user, "gaj")
    person.user.email = "police@example.cn"
    person.user.save()
    ChannelAddress.objects.create(person=person, channel=Channel.WECOM, address="police-wx")
    return person


def the_delivery(person, channel="sms"):
    return activation_deliveries().get(person=person, channel=channel)


@pytest.mark.django_db
def test_a_temporary_failure_is_retried_with_backoff_then_sent(scripted, office, police):
    scripted[police.mobile] = ["temporary", "temporary", "ok"]
    level_one(office)
    now = timezone.now()

    services.hand_over_due(now=now)
    delivery = the_delivery(police)
    assert (delivery.status, delivery.attempts, delivery.error_code) == ("queued", 1, "gw.temporary")
    assert timedelta(seconds=9) < delivery.next_attempt_at - now <= timedelta(seconds=11)

    services.hand_over_due(now=now + timedelta(seconds=5))  # not due yet
    assert the_delivery(police).attempts == 1

    services.hand_over_due(now=now + timedelta(seconds=11))
    delivery = the_delivery(police)
    assert (delivery.status, delivery.attempts) == ("queued", 2)
    assert timedelta(seconds=19) < delivery.next_attempt_at - timezone.now() <= timedelta(seconds=21)

    services.hand_over_due(now=now + timedelta(seconds=40))
    delivery = the_delivery(police)
    assert (delivery.status, delivery.attempts) == ("sent", 3)
    assert delivery.provider_ref == f"S-{delivery.key}" and delivery.handed_at
    kinds = list(Event.objects.filter(subject_type="notify.delivery", subject_id=str(delivery.pk))
                 .values_list("kind", flat=True))
    assert kinds == ["notify.delivery.retrying", "notify.delivery.retrying",
                     "notify.delivery.sent"]


@pytest.mark.django_db
def test_a_permanent_failure_fails_and_falls_back_to_the_next_channel(scripted, office, police):
    scripted[police.mobile] = ["permanent"]
    level_one(office)
    services.hand_over_due()

    sms = the_delivery(police)
    assert (sms.status, sms.attempts, sms.error_code) == ("failed", 1, "gw.permanent")
    wecom = the_delivery(police, "wecom")
    assert wecom.fallback_of == sms and wecom.address == "police-wx"
    assert wecom.key.endswith("/wecom") and wecom.next_channels == ["email"]
    assert wecom.status == "sent"  # handed over in the same run of the sweep
    assert Event.objects.filter(kind="notify.delivery.fallback",
                                new__from_channel="sms").exists()


@pytest.mark.django_db
def test_attempts_exhausted_fail_and_fall_back(settings, scripted, office, police):
    settings.NOTIFY_MAX_ATTEMPTS = 2
    scripted[police.mobile] = ["temporary"]
    scripted["police-wx"] = ["permanent"]
    level_one(office)
    now = timezone.now()
    services.hand_over_due(now=now)
    services.hand_over_due(now=now + timedelta(minutes=1))

    sms = the_delivery(police)
    assert (sms.status, sms.attempts, sms.error_code) == ("failed", 2, ATTEMPTS_EXHAUSTED)
    assert the_delivery(police, "wecom").status == "failed"
    email = the_delivery(police, "email")
    assert (email.status, email.address) == ("sent", "police@example.cn")
    assert email.fallback_of == the_delivery(police, "wecom")
    assert not Delivery.objects.filter(fallback_of=email).exists()


@pytest.mark.django_db
def test_a_person_without_any_address_is_a_failed_delivery_on_the_board(office, make_user):
    person = liaison(make_user, "gaj")
    Person.objects.filter(pk=person.pk).update(mobile="")
    level_one(office)
    delivery = the_delivery(person)
    assert (delivery.status, delivery.error_code) == ("failed", "no_address")


@pytest.mark.django_db
def test_a_unit_s_acknowledgement_marks_its_notice_s_deliveries_acknowledged(office, police):
    response = level_one(office)
    services.hand_over_due()
    notice = response.notices.get(unit__code="gaj")
    notice = response_services.notice_acknowledged(actor=police.user, notice=notice)
    delivery = the_delivery(police)
    assert delivery.acknowledged_at == notice.acknowledged_at and delivery.status == "sent"
    assert not activation_deliveries().exclude(message__notice=notice).filter(
        acknowledged_at__isnull=False).exists()


# --- receipts -----------------------------------------------------------------------------------


def sent_delivery(office, person):
    level_one(office)
    services.hand_over_due()
    delivery = the_delivery(person)
    assert delivery.status == "sent"
    return delivery


@pytest.mark.django_db
def test_a_delivered_receipt_from_the_outbox_marks_the_delivery_delivered(office, police):
    delivery = sent_delivery(office, police)
    services.receipts_polled()
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.delivered_at
    assert Event.objects.filter(kind="notify.delivery.delivered",
                                subject_id=str(delivery.pk)).count() == 1


@pytest.mark.django_db
def test_a_receipt_twice_changes_nothing_the_second_time(office, police):
    delivery = sent_delivery(office, police)
    receipt = Receipt(provider_ref=delivery.provider_ref, delivered=True, at=timezone.now())
    assert services.receipts_recorded(channel="sms", receipts=[receipt]) == 1
    assert services.receipts_recorded(channel="sms", receipts=[receipt]) == 0
    late_failure = Receipt(provider_ref=delivery.provider_ref, delivered=False,
                           at=timezone.now(), code="UNDELIV")
    assert services.receipts_recorded(channel="sms", receipts=[late_failure]) == 0
    delivery.refresh_from_db()
    assert delivery.status == "delivered"
    assert Event.objects.filter(kind="notify.delivery.delivered").count() == 1


@pytest.mark.django_db
def test_a_failed_receipt_fails_the_delivery_and_falls_back(office, police):
    delivery = sent_delivery(office, police)
    receipt = Receipt(provider_ref=delivery.provider_ref, delivered=False, at=timezone.now(),
                      code="UNDELIV")
    assert services.receipts_recorded(channel="sms", receipts=[receipt]) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.error_code) == ("failed", "UNDELIV")
    fallback = the_delivery(police, "wecom")
    assert fallback.fallback_of == delivery and fallback.status == "queued"


@pytest.mark.django_db
def test_a_receipt_for_an_unknown_reference_is_logged_and_ignored(office, police, caplog):
    sent_delivery(office, police)
    receipt = Receipt(provider_ref="nobody-knows", delivered=True, at=timezone.now())
    with caplog.at_level(logging.WARNING, logger="notify.services"):
        assert services.receipts_recorded(channel="sms", receipts=[receipt]) == 0
    assert "nobody-knows" in caplog.text
    assert not Delivery.objects.filter(status=DeliveryStatus.DELIVERED).exists()


@pytest.mark.django_db
def test_a_receipt_on_another_channel_with_the_same_reference_is_not_this_one(office, police):
    delivery = sent_delivery(office, police)
    receipt = Receipt(provider_ref=delivery.provider_ref, delivered=True, at=timezone.now())
    assert services.receipts_recorded(channel="email", receipts=[receipt]) == 0


# --- phone numbers stay out of logs and events ----------------------------------------------------


@pytest.mark.django_db
def test_no_whole_phone_number_in_the_log_of_a_send_or_on_the_timeline(
        settings, scripted, office, police, caplog):
    scripted[police.mobile] = ["temporary", "ok"]
    level_one(office)
    with caplog.at_level(logging.DEBUG):
        now = timezone.now()
        services.hand_over_due(now=now)
        services.hand_over_due(now=now + timedelta(minutes=1))
    masked = police.mobile[:3] + "****" + police.mobile[-4:]
    logged = [record.getMessage() for record in caplog.records]
    assert any(masked in text for text in logged)
    assert not any(police.mobile in text for text in logged)
    for event in Event.objects.filter(kind__startswith="notify."):
        assert police.mobile not in str(event.new), event.kind
    assert Event.objects.filter(kind="notify.delivery.sent", new__address=masked).exists()


# --- on the wall: routine, one line per message ---------------------------------------------------


@pytest.mark.django_db
def test_the_deliveries_of_an_activation_are_routine_and_share_one_feed_line(office, make_user):
    from command_room.frames import frames_of

    liaison(make_user, "gaj"), liaison(make_user, "zjj")
    level_one(office)
    services.hand_over_due()
    frames = frames_of(Event.objects.filter(kind="notify.delivery.sent").order_by("seq"))
    assert len(frames) == 2 and all(frame["routine"] for frame in frames)
    # one line for the activation notices of the incident, naming each unit
    assert len({frame["group"]["key"] for frame in frames}) == 1
    assert len({frame["group"]["unit"] for frame in frames}) == 2
    assert "消息已发送给" in frames[0]["group"]["text"]["zh-hans"]["other"]
