"""Issue 14's path as a county lives it, through a real (local) Aliyun SMS gateway and a real
browser: a Level Ⅰ response starts; each member unit's liaison gets an SMS with a link of their
own; one liaison taps it on a phone and is acknowledged; another never answers, and the
escalation reaches that unit's leader in charge and then the office director, who gets one SMS
naming the silent units, not one per unit; the delivery board and the command room show each
status. Deliveries are handed over, the clocks swept and the director's digests made by the
services the Celery tasks call (notify.tasks, incidents.worker), in this process."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from directory.choices import PositionCode, UnitKind
from directory.models import Person, Unit
from directory.services import SYSTEM, leader_in_charge_set
from incidents.clocks import sweep_deadlines
from notify import escalation, services
from notify.backends import backend_for
from notify.choices import Channel, MessageKind
from notify.models import Delivery
from response import services as response_services
from response.models import Notice
from tests.conftest import logged_in
from tests.fakes.aliyun_gateway import AliyunGateway
from tests.incident_helpers import report_incident

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
P = PositionCode
SIGN = "泽州县应急"
TOKEN = "e2e" + "t" * 40
OUTBOX = {"BACKEND": "notify.backends.outbox.OutboxBackend",
          "OPTIONS": {"receipt_delay_seconds": 0}}
LINK = re.compile(r"(https?://\S+/a/[0-9a-z]{10})")


@pytest.fixture
def gateway(settings, live_server):
    settings.ALIYUN_SMS_CALLBACK_TOKEN = TOKEN
    settings.ALIYUN_SMS_CALLBACK_NETWORKS = ["127.0.0.1"]
    settings.NOTIFY_LINK_BASE_URL = live_server.url
    # Aliyun's per-number limits would hold back the liaisons' notices and the clock alerts
    # to the office for minutes: not what this test is about (test_notify_sms_aliyun is).
    with AliyunGateway(sign_names=(SIGN,), per_minute=1000, per_hour=10000) as fake:
        settings.NOTIFY_BACKENDS = {"sms": {
            "BACKEND": "notify.backends.aliyun.AliyunSms", "OPTIONS": {
                "endpoint": fake.endpoint, "access_key_id": "test-key-id",
                "access_key_secret": "test-key-secret", "sign_name": SIGN,
                "template_code": "SMS_900001", "timeout": 2, "poll_after": 0}},
            "wecom": OUTBOX, "email": OUTBOX}
        backend_for.cache_clear()
        yield fake
        backend_for.cache_clear()


def texts_to(gateway, person):
    return [sent["text"] for sent in gateway.sent if sent["number"] == person.mobile]


def unacknowledged(texts):
    """The texts saying that 县住建局 has not acknowledged."""
    return [text for text in texts if "县住建局" in text and "未确认" in text]


def leaders_in_charge():
    """A leader in charge for every member unit, 县住建局's named 住建分管领导."""
    units = Unit.objects.filter(kind=UnitKind.MEMBER, merged_into__isnull=True)
    for number, unit in enumerate(units):
        name = "住建分管领导" if unit.code == "zjj" else f"{unit.short_name}分管领导"
        person = Person.objects.create(name=name, unit=unit, mobile=f"137770{number:05d}")
        leader_in_charge_set(actor=SYSTEM, unit=unit, person=person)
    return Person.objects.filter(units_led__in=units)


def escalations_to(gateway, person):
    """The director's texts naming units silent on their notice (clock alerts aside)."""
    return [text for text in texts_to(gateway, person) if "未确认" in text]


def swept(minutes):
    """Beat's work `minutes` from now: the clocks, the director's digests, the hand-over."""
    moment = timezone.now() + timedelta(minutes=minutes)
    sweep_deadlines(now=moment)
    escalation.escalation_digests_sent(moment)
    services.hand_over_due()


def delivered_all(gateway, live_server):
    """The carrier reports every message handed over so far as delivered, pushed to the
    dashboard's receipt endpoint as Aliyun pushes it."""
    url = f"{live_server.url}/notify/gateway/aliyun/{TOKEN}/report/"
    refs = list(Delivery.objects.filter(channel=Channel.SMS, status="sent").values_list(
        "provider_ref", flat=True))
    assert gateway.push_report(url, refs)[0][0] == 200


def test_a_level_one_reaches_liaisons_by_sms_and_silence_climbs_to_the_director(
        browser, live_server, gateway, make_user, settings):
    duty, commander = make_user(P.DUTY_OFFICER), make_user(P.COMMANDER)
    director = make_user(P.OFFICE_DIRECTOR)
    taps = make_user(P.UNIT_LIAISON, unit_code="gaj").person      # 县公安局: taps the link
    silent = make_user(P.UNIT_LIAISON, unit_code="zjj").person    # 县住建局: never answers
    leaders = leaders_in_charge()
    leader = leaders.get(unit__code="zjj")
    incident = report_incident(duty)
    response_services.response_started_directly(actor=commander, incident=incident,
                                                level="I", reason="万户停暖")

    services.hand_over_due()
    for liaison in (taps, silent):
        [text] = texts_to(gateway, liaison)
        assert text.startswith(f"【{SIGN}】#{incident.pk}") and "Ⅰ级响应" in text
    delivered_all(gateway, live_server)

    # The liaison of 县公安局, on a phone, taps the link in the SMS.
    phone = browser.new_context(viewport={"width": 390, "height": 844})
    page = phone.new_page()
    page.goto(LINK.search(texts_to(gateway, taps)[0])[1])
    expect(page.locator(".ack-button")).to_be_visible()
    page.locator(".ack-button").click()
    expect(page.locator(".ack-result")).to_contain_text("已确认收到")
    assert Notice.objects.get(response__incident=incident, unit__code="gaj").acknowledged_at
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    phone.close()

    # 县住建局 stays silent, and so does every unit but 县公安局: after 15 minutes each
    # one's leader in charge is told, 10 later the director, in one SMS naming them.
    silent_units = Notice.objects.filter(response__incident=incident).count() - 1
    swept(16)
    [to_leader] = unacknowledged(texts_to(gateway, leader))
    assert escalations_to(gateway, director.person) == []
    swept(27)
    [to_director] = escalations_to(gateway, director.person)  # among clock alerts
    assert "县住建局、" in to_director
    assert f"等{silent_units}个单位启动通知超25分钟未确认（已报分管领导）" in to_director
    delivered_all(gateway, live_server)
    escalations = Delivery.objects.filter(message__kind=MessageKind.ESCALATION)
    silent_leaders = leaders.filter(units_led__notices__response__incident=incident,
                                    units_led__notices__acknowledged_at__isnull=True)
    assert silent_leaders.count() == silent_units
    assert {d.person for d in escalations} == {*silent_leaders, director.person}
    assert escalations.filter(person=director.person).count() == 1

    # The office director reads the delivery board and the command room.
    context, office = logged_in(browser, live_server, director)
    office.goto(f"{live_server.url}/notify/deliveries/?incident={incident.pk}")
    gaj = office.locator("tr[data-delivery]", has_text=taps.name)
    expect(gaj.locator(".status")).to_contain_text("已送达")
    expect(gaj.locator(".tag.ack")).to_be_visible()
    zjj = office.locator("tr[data-delivery]", has_text=silent.name)
    expect(zjj.locator(".status")).to_contain_text("已送达")
    expect(zjj.locator(".tag.ack")).to_have_count(0)
    office.goto(f"{live_server.url}/notify/deliveries/?incident={incident.pk}&kind=escalation")
    heads = office.locator("tr.message-head", has_text="县住建局")
    expect(heads).to_have_count(2)  # step 2 to the director (newest), step 1 to the leader
    expect(heads.nth(1)).to_contain_text("致县住建局的通知")
    for head in range(2):  # the first row of each step: its SMS
        first = heads.nth(head).locator("xpath=following-sibling::tr[1]")
        expect(first).to_contain_text("手机短信")
        expect(first.locator(".status")).to_have_text("已送达")
    expect(heads.nth(0).locator("xpath=following-sibling::tr[1]")).to_contain_text(director.person.name)
    expect(heads.nth(1).locator("xpath=following-sibling::tr[1]")).to_contain_text(leader.name)
    office.goto(f"{live_server.url}/command/")
    row = office.locator(f"tr[data-incident='{incident.pk}']")
    expect(row).to_contain_text(re.compile(r"已送达 \d+/\d+ · 已确认 1/\d+"))
    context.close()
