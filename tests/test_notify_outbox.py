"""The outbox page (/outbox/): the office's and the administrators' to read, in Chinese by
default, whole phone numbers only for whoever may see every mobile number; and the texts of
messages as gateways count them (notify.sms_text)."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from directory.choices import PositionCode
from notify.backends import backend_for
from notify.backends.base import Outgoing, SendFailure
from notify.backends.outbox import OutboxBackend
from notify.models import OutboxMessage
from notify.sms_text import gateway_number, masked, mobile_number, segments

P = PositionCode
MAY_READ = {P.OFFICE_DIRECTOR, P.DUTY_OFFICER, P.ADMINISTRATOR}
NUMBER = "13812345678"


@pytest.fixture
def in_outbox(db):
    return OutboxBackend().send(Outgoing(key="notice:1/p1/sms", channel="sms", address=NUMBER,
                                         text="#1南村镇启动Ⅰ级响应，请县公安局在15分钟内确认收到。"))


@pytest.mark.django_db
@pytest.mark.parametrize("position", list(P))
def test_the_outbox_is_read_by_the_office_and_administrators_only(client_as, position, in_outbox):
    client, _user = client_as(position)
    page = client.get(reverse("notify:outbox"))
    if position in MAY_READ:
        assert page.status_code == 200
        html = page.content.decode()
        assert "发件箱" in html and "短信" in html and "已发送" in html  # Chinese by default
        assert NUMBER in html  # they may see every mobile number
        assert 'href="/outbox/"' in html  # in the menu
    else:
        assert page.status_code == 403
        assert NUMBER not in page.content.decode()
        assert 'href="/outbox/"' not in client.get(reverse("home"), follow=True).content.decode()


@pytest.mark.django_db
def test_a_reader_who_may_not_see_every_mobile_sees_the_numbers_masked(client_as, in_outbox):
    client, user = client_as(None)
    user.user_permissions.add(Permission.objects.get(codename="view_outbox"))
    html = client.get(reverse("notify:outbox")).content.decode()
    assert "138****5678" in html and NUMBER not in html


@pytest.mark.django_db
def test_the_outbox_reads_in_english_for_an_english_reader(client_as, in_outbox):
    client, _user = client_as(P.DUTY_OFFICER)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("notify:outbox"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Outbox" in html


@pytest.mark.django_db
def test_the_outbox_takes_a_key_once_and_reports_it_delivered_on_the_next_poll(settings):
    backend = OutboxBackend(receipt_delay_seconds=0)
    backend.channel = "sms"
    outgoing = Outgoing(key="k1", channel="sms", address=NUMBER, text="测试")
    first, again = backend.send(outgoing), backend.send(outgoing)
    assert first == again and OutboxMessage.objects.count() == 1
    [receipt] = backend.receipts()
    assert receipt.provider_ref == first.provider_ref and receipt.delivered
    assert backend.receipts() == []


@pytest.mark.django_db
def test_the_outbox_fails_chosen_addresses_for_the_demo(settings):
    settings.NOTIFY_BACKENDS = {c: {"BACKEND": "notify.backends.outbox.OutboxBackend",
                                    "OPTIONS": {"fail": {NUMBER: "permanent",
                                                         "13800000002": "temporary"}}}
                                for c in ("sms", "wecom", "email")}
    backend_for.cache_clear()
    backend = backend_for("sms")
    assert backend.channel == "sms"
    with pytest.raises(SendFailure) as permanent:
        backend.send(Outgoing(key="a", channel="sms", address=NUMBER, text="x"))
    with pytest.raises(SendFailure) as temporary:
        backend.send(Outgoing(key="b", channel="sms", address="13800000002", text="x"))
    assert not permanent.value.temporary and temporary.value.temporary
    backend_for.cache_clear()


# --- SMS text -------------------------------------------------------------------------------


@pytest.mark.parametrize("text, count", [
    ("a" * 160, 1), ("a" * 161, 2), ("a" * 306, 2), ("a" * 307, 3),
    ("{" * 80, 1), ("{" * 81, 2),  # the extension table counts twice
    ("中" * 70, 1), ("中" * 71, 2), ("中" * 134, 2), ("中" * 135, 3),
    ("a" * 69 + "中", 1), ("a" * 70 + "中", 2),  # one Chinese character makes it UCS-2
    ("", 1),
])
def test_segments_are_counted_as_gateways_bill_them(text, count):
    assert segments(text) == count


def test_numbers_are_masked_and_recognised():
    assert masked("13812345678") == "138****5678"
    assert masked("+8613812345678") == "+86138****5678"
    assert masked("li@example.cn") == "l***@example.cn"
    assert mobile_number("+86 138-1234-5678") == "13812345678"
    assert mobile_number("0356-5550100") == ""


def test_one_module_reads_numbers_for_every_sms_backend():
    assert mobile_number("8613812345678") == mobile_number("0086 13812345678") == "13812345678"
    assert gateway_number("+86 138 1234 5678") == "13812345678"
    assert gateway_number("0356-5550100") == "03565550100"  # the gateway refuses it itself
