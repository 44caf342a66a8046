"""The Aliyun SMS backend against a local Aliyun gateway (tests/fakes/aliyun_gateway.py):
signed requests, the documented failures sorted into temporary and permanent, receipts by
polling, and the SmsReport / SmsUp pushes parsed and verified."""

import json
import sys
import time
import types
from datetime import UTC, datetime, timedelta

import pytest

from notify.backends.aliyun import AliyunSms, parse_sms_report, parse_sms_up, signature
from notify.backends.base import Outgoing, SendFailure
from notify.gateway_views import Refused, verify_push
from notify.sms_text import masked, segments
from tests.fakes.aliyun_gateway import AliyunGateway, expected_signature

SIGN = "泽州县应急"
TOKEN = "t" * 40
NUMBER = "13800000001"


@pytest.fixture
def gateway():
    with AliyunGateway(minute_seconds=0.3, hour_seconds=2.0) as gateway:
        yield gateway


def backend_for(gateway, **options):
    values = {"endpoint": gateway.endpoint, "access_key_id": "test-key-id",
              "access_key_secret": "test-key-secret", "sign_name": SIGN,
              "template_code": "SMS_900001", "timeout": 2, "poll_after": 0}
    values.update(options)
    return AliyunSms(**values)


def outgoing(text="【测试】泽州县供热应急指挥部：请确认。", address=NUMBER, key="notice-1-person-2-sms"):
    return Outgoing(key=key, channel="sms", address=address, text=text)


def failure_of(backend, message):
    with pytest.raises(SendFailure) as caught:
        backend.send(message)
    return caught.value


# signing

def test_signature_matches_aliyuns_documented_example():
    params = {"AccessKeyId": "testid", "Action": "DescribeRegions", "Format": "XML",
              "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
              "SignatureVersion": "1.0", "Timestamp": "2016-02-23T12:46:24Z", "Version": "2014-05-26"}
    assert signature("testsecret", "GET", params) == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
    assert expected_signature("testsecret", "GET", params) == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_signature_encodes_chinese_spaces_and_stars_as_aliyun_does():
    params = {"TemplateParam": '{"content":"供热 停止*~"}', "A": "1"}
    assert signature("s", "POST", params) == expected_signature("s", "POST", params)


# sending

def test_send_hands_the_message_over_signed(gateway):
    handed = backend_for(gateway).send(outgoing())
    [record] = gateway.sent
    assert handed.provider_ref == record["biz_id"]
    assert record["number"] == NUMBER
    assert record["text"] == f"【{SIGN}】【测试】泽州县供热应急指挥部：请确认。"
    assert record["out_id"] == "notice-1-person-2-sms"
    assert handed.segments == 1
    action, params = gateway.requests[0]
    assert action == "SendSms" and params["SignatureMethod"] == "HMAC-SHA1"


def test_a_number_written_with_the_country_code_is_sent_as_11_digits(gateway):
    backend_for(gateway).send(outgoing(address="+86 138-0000-0001"))
    assert gateway.sent[0]["number"] == NUMBER


def test_a_wrong_secret_is_refused_for_good(gateway):
    failure = failure_of(backend_for(gateway, access_key_secret="not-the-secret"), outgoing())
    assert failure.code == "SignatureDoesNotMatch" and not failure.temporary
    assert gateway.sent == []


def test_an_unknown_key_is_refused_for_good(gateway):
    failure = failure_of(backend_for(gateway, access_key_id="nobody"), outgoing())
    assert failure.code == "InvalidAccessKeyId.NotFound" and not failure.temporary


def test_the_per_number_rate_limit_is_temporary_and_passes(gateway):
    backend = backend_for(gateway)
    backend.send(outgoing(key="a"))
    failure = failure_of(backend, outgoing(key="b"))
    assert failure.code == "isv.BUSINESS_LIMIT_CONTROL" and failure.temporary
    assert not failure.throttled  # this number's limit: an attempt like any other
    backend.send(outgoing(key="c", address="13800000002"))  # another number is not limited
    time.sleep(0.35)  # the fake's "minute"
    backend.send(outgoing(key="b"))
    assert [r["out_id"] for r in gateway.sent] == ["a", "c", "b"]


def test_the_hourly_limit_per_number(gateway):
    gateway.per_hour = 2
    backend = backend_for(gateway)
    for key in ("a", "b"):
        backend.send(outgoing(key=key))
        time.sleep(0.35)
    failure = failure_of(backend, outgoing(key="c"))
    assert failure.temporary and "小时" in str(failure)


def test_api_throttling_is_temporary_and_a_wait_for_a_turn(gateway):
    gateway.mode = "throttled"
    failure = failure_of(backend_for(gateway), outgoing())
    assert failure.code == "Throttling.User" and failure.temporary and failure.throttled


def test_the_account_s_calls_per_second_beyond_the_limit_are_throttled_for_now():
    with AliyunGateway(qps=2) as limited:
        backend = backend_for(limited)
        backend.send(outgoing(address="13800000001"))
        backend.send(outgoing(address="13800000002"))
        failure = failure_of(backend, outgoing(address="13800000003"))
        assert (failure.code, failure.temporary) == ("Throttling.User", True)
        time.sleep(1.05)
        backend.send(outgoing(address="13800000003"))
    assert [r["number"] for r in limited.sent] == ["13800000001", "13800000002", "13800000003"]
    assert all(r["received_at"] <= time.time() for r in limited.sent)


def test_a_busy_proxy_in_front_of_the_gateway_is_temporary(gateway):
    gateway.mode = "proxy_busy"
    failure = failure_of(backend_for(gateway), outgoing())
    assert failure.code == "http_429" and failure.temporary


def test_gateway_down_is_temporary(gateway):
    gateway.mode = "down"
    failure = failure_of(backend_for(gateway), outgoing())
    assert failure.code == "ServiceUnavailable" and failure.temporary


def test_connection_refused_is_temporary(gateway):
    backend = backend_for(gateway)
    gateway.stop()
    failure = failure_of(backend, outgoing())
    assert failure.code == "unreachable" and failure.temporary


def test_slow_beyond_the_timeout_is_temporary(gateway):
    gateway.delay = 1.5
    started = time.monotonic()
    failure = failure_of(backend_for(gateway, timeout=0.5), outgoing())
    assert failure.code == "timeout" and failure.temporary
    assert time.monotonic() - started < 1.4


@pytest.mark.parametrize(("mode", "code"), [("bad_number", "isv.MOBILE_NUMBER_ILLEGAL"),
                                            ("no_balance", "isv.AMOUNT_NOT_ENOUGH")])
def test_permanent_refusals(gateway, mode, code):
    gateway.mode = mode
    failure = failure_of(backend_for(gateway), outgoing())
    assert failure.code == code and not failure.temporary


def test_an_unapproved_template_or_signature_is_permanent(gateway):
    failure = failure_of(backend_for(gateway, template_code="SMS_1"), outgoing())
    assert failure.code == "isv.SMS_TEMPLATE_ILLEGAL" and not failure.temporary
    failure = failure_of(backend_for(gateway, sign_name="别的签名"), outgoing())
    assert failure.code == "isv.SMS_SIGNATURE_ILLEGAL" and not failure.temporary


# the text in the template

def test_long_text_is_cut_into_the_templates_variables(gateway):
    gateway.templates["SMS_900002"] = "${c1}${c2}${c3}"
    backend = backend_for(gateway, template_code="SMS_900002", template_params=["c1", "c2", "c3"],
                          param_max_chars=35)
    text = "供" * 80
    backend.send(outgoing(text=text))
    assert gateway.sent[0]["text"] == f"【{SIGN}】{text}"
    assert [len(v) for v in gateway.sent[0]["values"].values()] == [35, 35, 10]
    failure = failure_of(backend, outgoing(text="供" * 106, key="x"))
    assert failure.code == "text_too_long" and not failure.temporary


def test_segments_are_counted_as_the_gateway_bills_them_with_the_signature(gateway):
    backend = backend_for(gateway)
    # 【泽州县应急】 is 7 characters: 63 + 7 = 70 is one message, 64 + 7 = 71 two.
    assert backend.send(outgoing(text="热" * 63, key="1", address="13800000011")).segments == 1
    assert backend.send(outgoing(text="热" * 64, key="2", address="13800000012")).segments == 2
    assert backend.send(outgoing(text="热" * 127, key="3", address="13800000013")).segments == 2
    assert backend.send(outgoing(text="热" * 128, key="4", address="13800000014")).segments == 3
    assert [segments("热" * n) for n in (70, 71, 134, 135, 201, 202)] == [1, 2, 2, 3, 3, 4]


def test_numbers_are_masked_for_logs():
    assert masked("13800001234") == "138****1234"


# receipts by polling

def test_receipts_are_polled_until_final_then_reported_once(gateway):
    backend = backend_for(gateway)
    delivered = backend.send(outgoing(key="a")).provider_ref
    failed = backend.send(outgoing(key="b", address="13800000002")).provider_ref
    assert backend.receipts() == []  # the carrier has not answered yet
    gateway.report(delivered)
    gateway.report(failed, delivered=False, code="MK:0005")
    receipts = {r.provider_ref: r for r in backend.receipts()}
    assert receipts[delivered].delivered and receipts[delivered].code == "DELIVERED"
    assert not receipts[failed].delivered and receipts[failed].code == "MK:0005"
    assert receipts[delivered].at.tzinfo is not None
    assert backend.receipts() == []  # reported refs are no longer polled


def test_receipts_wait_for_the_push_before_polling(gateway):
    backend = backend_for(gateway, poll_after=60)
    gateway.report(backend.send(outgoing()).provider_ref)
    assert backend.receipts() == []
    assert not [a for a, _ in gateway.requests if a == "QuerySendDetails"]


def test_receipts_for_refs_the_caller_names(gateway):
    handed = backend_for(gateway).send(outgoing())
    gateway.report(handed.provider_ref)
    fresh = backend_for(gateway)  # another process: nothing in memory
    assert fresh.receipts() == []
    [receipt] = fresh.receipts(outstanding=[(handed.provider_ref, NUMBER,
                                              datetime.now(UTC) - timedelta(minutes=5))])
    assert receipt.provider_ref == handed.provider_ref and receipt.delivered


def test_tracked_refs_are_bounded(gateway):
    backend = backend_for(gateway, max_tracked=2)
    for i in range(3):
        backend.send(outgoing(key=str(i), address=f"1380000010{i}"))
    assert len(backend._tracked) == 2


# pushes: parsing and verification

REPORT = [{"phone_number": "13800000001", "send_time": "2026-12-01 08:00:00",
           "report_time": "2026-12-01 08:00:05", "success": True, "err_code": "DELIVERED",
           "err_msg": "用户接收成功", "sms_size": "1", "biz_id": "700000000001^0", "out_id": "k1"},
          {"phone_number": "13800000002", "send_time": "2026-12-01 08:00:00",
           "report_time": "2026-12-01 08:01:00", "success": False, "err_code": "MK:0001",
           "err_msg": "失败", "sms_size": "1", "biz_id": "700000000002^0", "out_id": "k2"}]


def test_an_sms_report_is_parsed_into_receipts():
    ok, failed = parse_sms_report(REPORT)
    assert (ok.provider_ref, ok.delivered, ok.code) == ("700000000001^0", True, "DELIVERED")
    assert ok.at == datetime(2026, 12, 1, 0, 0, 5, tzinfo=UTC)  # Beijing time is UTC+8
    assert (failed.delivered, failed.code) == (False, "MK:0001")


def test_a_report_with_success_as_text_and_one_without_biz_id():
    [receipt] = parse_sms_report([{"biz_id": "1^0", "success": "false", "err_code": "X"}, {"success": True}])
    assert not receipt.delivered and receipt.at.tzinfo is not None


def test_an_sms_up_is_parsed_into_replies():
    [reply] = parse_sms_up([{"phone_number": "8613800000001", "send_time": "2026-12-01 08:02:00",
                             "content": "收到 A7K2", "sign_name": SIGN, "dest_code": "1234",
                             "sequence_id": 1}])
    assert (reply.address, reply.text) == ("13800000001", "收到 A7K2")
    assert reply.at == datetime(2026, 12, 1, 0, 2, tzinfo=UTC)


@pytest.mark.parametrize("payload", [{"biz_id": "1"}, "text"])
def test_a_push_that_is_not_an_array_is_refused(payload):
    with pytest.raises(ValueError):
        parse_sms_report(payload)
    with pytest.raises(ValueError):
        parse_sms_up(payload)


def test_a_push_is_believed_with_the_token_from_the_listed_networks(settings):
    settings.ALIYUN_SMS_CALLBACK_TOKEN = TOKEN
    settings.ALIYUN_SMS_CALLBACK_NETWORKS = ["100.100.0.0/16", "127.0.0.1"]
    verify_push(TOKEN, "100.100.3.4")
    verify_push(TOKEN, "127.0.0.1")
    for token, address, status in [("x" * 40, "127.0.0.1", 404), (TOKEN, "10.0.0.1", 403),
                                   (TOKEN, "", 403), (TOKEN, "garbage", 403)]:
        with pytest.raises(Refused) as refused:
            verify_push(token, address)
        assert refused.value.status == status


def test_without_a_token_no_push_is_believed(settings):
    settings.ALIYUN_SMS_CALLBACK_TOKEN = ""
    with pytest.raises(Refused):
        verify_push("", "127.0.0.1")


@pytest.fixture
def recorded(monkeypatch):
    """notify.services as the core will write it, recording what the views hand it."""
    calls = []
    services = types.ModuleType("notify.services")
    services.receipts_recorded = lambda *, channel, receipts: calls.append(("receipts", channel, receipts))
    services.reply_received = lambda *, channel, reply: calls.append(("reply", channel, reply))
    monkeypatch.setitem(sys.modules, "notify.services", services)
    import notify

    monkeypatch.setattr(notify, "services", services, raising=False)
    return calls


@pytest.fixture
def push_settings(settings):
    settings.ALIYUN_SMS_CALLBACK_TOKEN = TOKEN
    settings.ALIYUN_SMS_CALLBACK_NETWORKS = ["127.0.0.1"]
    return settings


def test_the_gateway_pushes_a_report_twice_and_it_is_parsed_twice(gateway, live_server, recorded,
                                                                   push_settings):
    handed = backend_for(gateway).send(outgoing())
    url = f"{live_server.url}/notify/gateway/aliyun/{TOKEN}/report/"
    answers = gateway.push_report(url, [handed.provider_ref], times=2)
    assert answers == [(200, {"code": 0, "msg": "成功"})] * 2
    assert [(kind, channel) for kind, channel, _ in recorded] == [("receipts", "sms")] * 2
    for _kind, _channel, receipts in recorded:
        [receipt] = receipts
        assert receipt.provider_ref == handed.provider_ref and receipt.delivered


def test_the_gateway_pushes_a_reply(gateway, live_server, recorded, push_settings):
    url = f"{live_server.url}/notify/gateway/aliyun/{TOKEN}/up/"
    assert gateway.push_reply(url, NUMBER, "1 A7K2") == (200, {"code": 0, "msg": "成功"})
    [(kind, channel, reply)] = recorded
    assert (kind, channel, reply.address, reply.text) == ("reply", "sms", NUMBER, "1 A7K2")


def test_a_push_with_a_wrong_token_or_from_elsewhere_is_refused(client, recorded, push_settings):
    body = json.dumps(REPORT)
    wrong = client.post(f"/notify/gateway/aliyun/{'x' * 40}/report/", body, content_type="application/json")
    assert wrong.status_code == 404
    push_settings.ALIYUN_SMS_CALLBACK_NETWORKS = ["100.100.0.0/16"]
    elsewhere = client.post(f"/notify/gateway/aliyun/{TOKEN}/report/", body,
                            content_type="application/json")
    assert elsewhere.status_code == 403
    assert recorded == []


def test_a_push_is_post_only_and_must_be_json(client, recorded, push_settings):
    url = f"/notify/gateway/aliyun/{TOKEN}/report/"
    assert client.get(url).status_code == 405
    bad = client.post(url, "not json", content_type="application/json")
    assert bad.status_code == 400 and bad.json()["code"] != 0
    ok = client.post(url, json.dumps(REPORT), content_type="application/json")
    assert ok.json() == {"code": 0, "msg": "成功"}
    assert len(recorded[0][2]) == 2
