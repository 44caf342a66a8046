"""The SMS gateway on a bad day: many messages at once against the account's calls per second.
Every worker takes its turn from one schedule in Redis (notify.pacing), so the gateway is not
asked faster than the account allows; a throttle that comes anyway is a wait, not an attempt,
so nothing fails over to another channel for it; activation notices go before a warning's
bulk; and Redis refused or hung leaves each process pacing itself."""

import socket
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from directory.choices import PositionCode
from directory.models import Unit
from early_warnings import services as warning_services
from notify import pacing, services
from notify.backends import backend_for
from notify.choices import ATTEMPTS_EXHAUSTED, Audience, DeliveryStatus, MessageKind
from notify.models import ChannelAddress, Delivery, RecipientRule
from response import services as response_services
from tests.fakes.aliyun_gateway import AliyunGateway
from tests.incident_helpers import report_incident
from tests.warning_helpers import complete_draft
from timeline.models import Event

P = PositionCode
pytestmark = pytest.mark.django_db(transaction=True)
GATEWAY_QPS = 20
PACE = 16  # what a county sets: a little under its account's limit


@pytest.fixture
def gateway():
    with AliyunGateway(qps=GATEWAY_QPS) as gateway:
        yield gateway


@pytest.fixture(autouse=True)
def _fresh_pace():
    pacing.reset()
    yield
    pacing.reset()
    backend_for.cache_clear()


def sms_by_aliyun(settings, gateway, max_per_second):
    outbox = {"BACKEND": "notify.backends.outbox.OutboxBackend",
              "OPTIONS": {"receipt_delay_seconds": 0}}
    settings.NOTIFY_BACKENDS = {
        "sms": {"BACKEND": "notify.backends.aliyun.AliyunSms", "OPTIONS": {
            "endpoint": gateway.endpoint, "access_key_id": "test-key-id",
            "access_key_secret": "test-key-secret", "sign_name": "泽州县应急",
            "template_code": "SMS_900001", "timeout": 2, "max_per_second": max_per_second}},
        "wecom": outbox, "email": outbox}
    settings.NOTIFY_THROTTLE_WAIT_SECONDS = 0.2
    backend_for.cache_clear()


def level_one_with_duty_phones(make_user):
    """A Level Ⅰ: every member unit's activation notice to its mobile duty phone."""
    for n, unit in enumerate(Unit.objects.filter(kind="member")):
        unit.duty_phone = f"137{n:08d}"
        unit.save(update_fields=["duty_phone"])
    commander = make_user(P.COMMANDER)
    incident = report_incident(make_user(P.DUTY_OFFICER))
    response_services.response_started_directly(actor=commander, incident=incident, level="I",
                                                reason="万户停暖")
    return Delivery.objects.filter(message__kind=MessageKind.ACTIVATION)


def two_workers_until_done(timeout=60):
    """Two workers handing over until nothing is queued (a throttled delivery is due again
    a moment later)."""
    def work():
        try:
            deadline = time.monotonic() + timeout
            while Delivery.objects.filter(status=DeliveryStatus.QUEUED).exists():
                assert time.monotonic() < deadline, "deliveries still queued"
                services.hand_over_due()
                time.sleep(0.05)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_two_workers_sharing_the_pace_are_never_throttled(settings, gateway, make_user):
    sms_by_aliyun(settings, gateway, max_per_second=PACE)
    deliveries = level_one_with_duty_phones(make_user)
    count = deliveries.count()
    assert count >= 20

    two_workers_until_done()

    assert gateway.throttled == 0
    assert len(gateway.sent) == count
    assert Counter(deliveries.values_list("status", "attempts")) == {(DeliveryStatus.SENT, 1): count}
    assert Counter(d["out_id"] for d in gateway.sent).most_common(1)[0][1] == 1  # no duplicate


def test_without_a_pace_throttles_come_but_cost_no_attempt_and_no_fallback(settings, gateway,
                                                                          make_user):
    sms_by_aliyun(settings, gateway, max_per_second=0)
    gateway.qps = 5
    deliveries = level_one_with_duty_phones(make_user)
    count = deliveries.count()

    two_workers_until_done()

    assert gateway.throttled > 0  # the gateway was asked too fast …
    assert len(gateway.sent) == count  # … and yet every message went, once, by SMS
    assert Counter(deliveries.values_list("channel", "status", "attempts")) == {
        ("sms", DeliveryStatus.SENT, 1): count}
    assert not Event.objects.filter(kind__in=("notify.delivery.retrying",
                                              "notify.delivery.failed")).exists()


def test_a_throttle_beyond_the_patience_counts_as_an_attempt(settings, gateway, make_user):
    sms_by_aliyun(settings, gateway, max_per_second=0)
    settings.NOTIFY_THROTTLE_PATIENCE_SECONDS = 0
    settings.NOTIFY_MAX_ATTEMPTS = 1
    gateway.mode = "throttled"
    deliveries = level_one_with_duty_phones(make_user)

    services.hand_over_due()

    assert set(deliveries.filter(channel="sms").values_list("status", "error_code")) == {
        (DeliveryStatus.FAILED, ATTEMPTS_EXHAUSTED)}


def test_activation_notices_go_before_a_warning_s_bulk(settings, gateway, make_user):
    sms_by_aliyun(settings, gateway, max_per_second=0)
    gateway.qps, gateway.per_minute, gateway.per_hour = None, 100, 100  # both go to liaisons
    people = {p: make_user(p) for p in (P.OFFICE_DIRECTOR, P.COMMANDER, P.DEPUTY_COMMANDER)}
    for _n in range(30):
        make_user(P.UNIT_LIAISON, unit_code="gaj")
    draft = complete_draft(people[P.OFFICE_DIRECTOR], level="larger")
    warning = warning_services.warning_submitted(actor=people[P.OFFICE_DIRECTOR], warning=draft)
    warning_services.warning_approved(actor=people[P.COMMANDER], warning=warning)
    activation = level_one_with_duty_phones(make_user)  # queued after the warning

    services.hand_over_due()

    kinds = dict(Delivery.objects.values_list("key", "message__kind"))
    order = [kinds[sent["out_id"]] for sent in gateway.sent]
    assert order.count(MessageKind.WARNING) > 30
    assert order[:activation.count()] == [MessageKind.ACTIVATION] * activation.count()


class HungRedis:
    """A server that accepts connections and never answers."""

    def __enter__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.held = []
        threading.Thread(target=self._accept, daemon=True).start()
        return f"redis://127.0.0.1:{self.server.getsockname()[1]}/0"

    def _accept(self):
        while True:
            try:
                self.held.append(self.server.accept()[0])
            except OSError:
                return

    def __exit__(self, *exc):
        self.server.close()
        for held in self.held:
            held.close()


@pytest.mark.parametrize("redis_fault", ["refused", "hung"])
def test_redis_refused_or_hung_each_process_paces_itself(settings, gateway, make_user,
                                                         redis_fault):
    sms_by_aliyun(settings, gateway, max_per_second=PACE)
    deliveries = level_one_with_duty_phones(make_user)
    count = deliveries.count()
    with HungRedis() as hung_url:
        settings.REDIS_URL = hung_url if redis_fault == "hung" else "redis://127.0.0.1:9/0"
        pacing.reset()

        two_workers_until_done()

    assert len(gateway.sent) == count
    assert gateway.throttled == 0  # each at half the pace, NOTIFY_SENDING_PROCESSES = 2
    assert Counter(deliveries.values_list("status", "attempts")) == {(DeliveryStatus.SENT, 1): count}


def test_a_turn_far_off_puts_the_message_back_and_the_worker_goes_on(settings, make_user):
    """A WeCom robot's 20 a minute behind a burst: the worker does not sleep for its turn,
    it puts the message back until then and hands over the SMS meanwhile."""
    outbox = {"BACKEND": "notify.backends.outbox.OutboxBackend",
              "OPTIONS": {"receipt_delay_seconds": 0}}
    settings.NOTIFY_BACKENDS = {"sms": outbox, "email": outbox, "wecom": {
        **outbox, "OPTIONS": {"receipt_delay_seconds": 0, "max_per_second": 0.2}}}
    settings.NOTIFY_PACE_MAX_WAIT_SECONDS = 2
    backend_for.cache_clear()
    for _n in range(3):
        liaison = make_user(P.UNIT_LIAISON, unit_code="gaj").person
        ChannelAddress.objects.create(person=liaison, channel="wecom", address=f"wx{liaison.pk}")
    RecipientRule.objects.filter(kind=MessageKind.ACTIVATION, audience=Audience.UNIT_CONTACTS
                                 ).update(channels=["wecom", "sms"])
    deliveries = level_one_with_duty_phones(make_user)
    before = timezone.now()

    services.hand_over_due()

    assert not deliveries.filter(channel="sms", status=DeliveryStatus.QUEUED).exists()
    wecom = deliveries.filter(channel="wecom")
    assert wecom.filter(status=DeliveryStatus.SENT).count() == 1  # one turn every 5 s
    waiting = list(wecom.filter(status=DeliveryStatus.QUEUED).values_list(
        "attempts", "next_attempt_at"))
    assert len(waiting) == 2
    assert all(attempts == 0 and due > before + timedelta(seconds=2) for attempts, due in waiting)
    assert not Event.objects.filter(kind="notify.delivery.retrying").exists()
