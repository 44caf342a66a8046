"""notify's pieces wired together: an activation notice carries each person's one-tap link
(and on SMS the code to reply with), a reply with the code acknowledges through the SMPP and
the Aliyun gateways, and the Aliyun gateway's receipts, pushed or polled, move deliveries
through their statuses end to end."""

import re
import time

import pytest
from django.utils import timezone

from directory.choices import PositionCode
from directory.models import Person, Unit
from notify import services
from notify.backends import backend_for
from notify.choices import Channel, DeliveryStatus, MessageKind
from notify.models import Delivery, Message, OutboxMessage
from notify.sms_text import segments
from response import services as response_services
from response.models import Notice
from tests.fakes.aliyun_gateway import AliyunGateway
from tests.fakes.smpp_server import SmppServer
from tests.incident_helpers import report_incident
from timeline.models import Event

P = PositionCode
OUTBOX = {"BACKEND": "notify.backends.outbox.OutboxBackend",
          "OPTIONS": {"receipt_delay_seconds": 0}}
SIGN = "泽州县应急"
TOKEN = "w" * 40
LINK = re.compile(r"https?://\S+/a/([0-9a-z]{10})")
REPLY_CODE = re.compile(r"回复 ([0-9A-Z]{10})")


def backends(settings, sms=OUTBOX):
    settings.NOTIFY_BACKENDS = {"sms": sms, "wecom": OUTBOX, "email": OUTBOX}
    backend_for.cache_clear()


@pytest.fixture(autouse=True)
def _fresh_backends(settings):
    backends(settings)
    yield
    backend_for.cache_clear()


@pytest.fixture
def office(make_user):
    return {p: make_user(p) for p in (P.DUTY_OFFICER, P.COMMANDER)}


def level_one(office):
    incident = report_incident(office[P.DUTY_OFFICER])
    return response_services.response_started_directly(
        actor=office[P.COMMANDER], incident=incident, level="I", reason="万户停暖")


def sms_of(person):
    return Delivery.objects.get(message__kind=MessageKind.ACTIVATION, person=person,
                                channel=Channel.SMS)


def notice_of(unit_code):
    return Notice.objects.get(unit__code=unit_code)


def acknowledged_via(notice, via):
    notice.refresh_from_db()
    event = Event.objects.filter(kind="notice.acknowledged", subject_id=str(notice.pk)).first()
    return notice.acknowledged_at is not None and event is not None and event.new["via"] == via


# --- the link in the text ------------------------------------------------------------------


@pytest.mark.django_db
def test_each_liaison_s_activation_sms_carries_a_working_link_of_their_own(office, make_user,
                                                                         client):
    first = make_user(P.UNIT_LIAISON, unit_code="gaj")
    second = make_user(P.UNIT_LIAISON, unit_code="gaj")
    Unit.objects.filter(code="gaj").update(duty_phone="13912340000")
    level_one(office)
    services.hand_over_due()

    texts = {d.person: OutboxMessage.objects.get(key=d.key).text
             for d in (sms_of(first.person), sms_of(second.person))}
    codes = {person: LINK.search(text)[1] for person, text in texts.items()}
    assert len(set(codes.values())) == 2  # one link per person
    for person, text in texts.items():
        assert REPLY_CODE.search(text)[1] == codes[person].upper()
        assert text.startswith(Message.objects.get(notice__unit__code="gaj").text)
        assert segments(f"【{SIGN}】{text}") <= 2, text
    duty = Delivery.objects.get(message__notice__unit__code="gaj", person=None)
    assert OutboxMessage.objects.get(key=duty.key).text == duty.message.text  # nobody's link

    page = client.post(f"/a/{codes[second.person]}")
    assert page.status_code == 200
    notice = notice_of("gaj")
    assert acknowledged_via(notice, "link") and notice.acknowledged_by == second
    assert not Delivery.objects.filter(message__notice=notice, acknowledged_at=None).exists()


@pytest.mark.django_db
def test_no_link_for_a_liaison_without_an_account(office, make_user):
    person = make_user(P.UNIT_LIAISON, unit_code="zjj").person
    Person.objects.filter(pk=person.pk).update(user=None)
    level_one(office)
    services.hand_over_due()
    delivery = sms_of(person)
    assert OutboxMessage.objects.get(key=delivery.key).text == delivery.message.text


@pytest.mark.django_db
def test_which_channels_carry_the_link_and_the_reply_code(office, make_user, settings):
    person = make_user(P.UNIT_LIAISON, unit_code="gaj").person
    level_one(office)
    message = Message.objects.get(notice__unit__code="gaj")

    def text(channel, address):
        return services.outgoing_text(Delivery(message=message, person=person, channel=channel,
                                               address=address))

    assert text(Channel.WECOM, "") == message.text  # the group robot: the whole group reads it
    for channel, address in ((Channel.WECOM, "li.si"), (Channel.EMAIL, "li@example.cn")):
        assert LINK.search(text(channel, address)) and "回复" not in text(channel, address)
    assert REPLY_CODE.search(text(Channel.SMS, person.mobile))
    settings.NOTIFY_SMS_REPLIES = False  # a gateway that delivers no replies
    assert LINK.search(text(Channel.SMS, person.mobile))
    assert "回复" not in text(Channel.SMS, person.mobile)
    end = Message(kind=MessageKind.RESPONSE_END, text="#1南村镇Ⅰ级响应结束。",
                  notice=message.notice)
    assert services.outgoing_text(Delivery(message=end, person=person, channel=Channel.SMS,
                                           address=person.mobile)) == end.text


# --- replies acknowledge -------------------------------------------------------------------


def eventually(condition, seconds=5.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not in time"
        time.sleep(0.05)


@pytest.mark.django_db
def test_a_reply_through_the_smpp_gateway_acknowledges(settings, office, make_user):
    liaison = make_user(P.UNIT_LIAISON, unit_code="gaj")
    with SmppServer() as smsc:
        backends(settings, {"BACKEND": "notify.backends.smpp.SmppSms", "OPTIONS": {
            "host": "127.0.0.1", "port": smsc.port, "system_id": "zezhou", "password": "secret",
            "source_addr": "106900001234", "timeout": 2}})
        level_one(office)
        services.hand_over_due()
        [text] = smsc.texts()
        code = REPLY_CODE.search(text)[1]
        smsc.send_reply(f"86{liaison.person.mobile}", f"收到 {code}")

        def polled():
            services.receipts_polled()
            return Event.objects.filter(kind="notify.reply.received").exists()

        eventually(polled)
        backend_for("sms").close()
    assert acknowledged_via(notice_of("gaj"), "reply")
    assert notice_of("gaj").acknowledged_by == liaison
    assert sms_of(liaison.person).acknowledged_at is not None


@pytest.fixture
def aliyun(settings):
    settings.ALIYUN_SMS_CALLBACK_TOKEN = TOKEN
    settings.ALIYUN_SMS_CALLBACK_NETWORKS = ["127.0.0.1"]
    with AliyunGateway(sign_names=(SIGN,), minute_seconds=0.1, hour_seconds=0.5) as gateway:
        backends(settings, {"BACKEND": "notify.backends.aliyun.AliyunSms", "OPTIONS": {
            "endpoint": gateway.endpoint, "access_key_id": "test-key-id",
            "access_key_secret": "test-key-secret", "sign_name": SIGN,
            "template_code": "SMS_900001", "timeout": 2, "poll_after": 0}})
        yield gateway


@pytest.mark.django_db(transaction=True)
def test_a_reply_pushed_by_the_aliyun_gateway_acknowledges(aliyun, live_server, office,
                                                           make_user):
    liaison = make_user(P.UNIT_LIAISON, unit_code="gaj")
    level_one(office)
    services.hand_over_due()
    [sent] = aliyun.sent
    assert sent["text"].startswith(f"【{SIGN}】") and segments(sent["text"]) <= 2
    code = REPLY_CODE.search(sent["text"])[1]
    url = f"{live_server.url}/notify/gateway/aliyun/{TOKEN}/up/"
    assert aliyun.push_reply(url, f"86{liaison.person.mobile}", f"确认{code.lower()}")[0] == 200
    notice = notice_of("gaj")
    assert acknowledged_via(notice, "reply") and notice.acknowledged_by == liaison
    reply = Event.objects.get(kind="notify.reply.received")
    assert reply.new["address"] == f"{liaison.person.mobile[:3]}****{liaison.person.mobile[-4:]}"
    assert aliyun.push_reply(url, liaison.person.mobile, code)[0] == 200  # again: nothing more
    assert Event.objects.filter(kind="notice.acknowledged").count() == 1


@pytest.mark.django_db
def test_a_reply_with_no_code_acknowledges_nothing_and_is_kept(office, make_user):
    from notify.backends.base import Reply

    liaison = make_user(P.UNIT_LIAISON, unit_code="gaj")
    level_one(office)
    services.reply_received(channel=Channel.SMS, reply=Reply(
        address=liaison.person.mobile, text="收到", at=timezone.now()))
    assert Event.objects.filter(kind="notify.reply.received").exists()
    assert notice_of("gaj").acknowledged_at is None


# --- receipts end to end -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_receipts_pushed_twice_or_never_through_the_gateway_view(aliyun, live_server, office,
                                                                 make_user):
    delivered, failed, silent = (
        make_user(P.UNIT_LIAISON, unit_code=code, email=f"{code}@example.cn").person
        for code in ("gaj", "zjj", "fire"))
    level_one(office)
    services.hand_over_due()
    assert len(aliyun.sent) == 3
    ref = {p: sms_of(p).provider_ref for p in (delivered, failed, silent)}
    assert all(ref.values()) and {sms_of(p).status for p in ref} == {DeliveryStatus.SENT}
    url = f"{live_server.url}/notify/gateway/aliyun/{TOKEN}/report/"

    assert aliyun.push_report(url, [ref[delivered]], times=2)[1][0] == 200
    assert aliyun.push_report(url, [ref[failed]], delivered=False, code="MK:0005",
                              times=2)[1][0] == 200
    assert sms_of(delivered).status == DeliveryStatus.DELIVERED
    lost = sms_of(failed)
    assert (lost.status, lost.error_code) == (DeliveryStatus.FAILED, "MK:0005")
    fallback = Delivery.objects.get(fallback_of=lost)
    assert (fallback.channel, fallback.address) == (Channel.EMAIL, "zjj@example.cn")
    for kind in ("notify.delivery.delivered", "notify.delivery.failed",
                 "notify.delivery.fallback"):
        assert Event.objects.filter(kind=kind).count() == 1, kind  # twice changed nothing

    # Never pushed: a worker that never handed it over polls it from the database.
    backend_for.cache_clear()
    services.receipts_polled()
    assert sms_of(silent).status == DeliveryStatus.SENT  # the carrier has not answered
    aliyun.report(ref[silent])
    backend_for.cache_clear()
    services.receipts_polled()
    assert sms_of(silent).status == DeliveryStatus.DELIVERED
    asked = [params["BizId"] for action, params in aliyun.requests
             if action == "QuerySendDetails"]
    assert ref[silent] in asked and ref[delivered] not in asked  # only what still waits


@pytest.mark.django_db
def test_the_outstanding_deliveries_are_bounded_and_recent(office, make_user, settings):
    people = [make_user(P.UNIT_LIAISON, unit_code=code).person for code in ("gaj", "zjj")]
    level_one(office)
    services.hand_over_due()
    assert len(services.outstanding(Channel.SMS)) == 2
    settings.NOTIFY_POLL_OUTSTANDING = 1
    oldest = Delivery.objects.filter(person__in=people).order_by("handed_at", "pk").first()
    assert services.outstanding(Channel.SMS) == [
        (oldest.provider_ref, oldest.address, oldest.handed_at)]
    Delivery.objects.update(handed_at=timezone.now() - services.RECEIPT_WAIT)
    assert services.outstanding(Channel.SMS, now=timezone.now()) == []
