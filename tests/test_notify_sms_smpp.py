"""The SMPP backend against a local SMSC (tests/fakes/smpp_server.py): submit_sm in UCS-2,
long texts split as gateways count them, receipts and replies from deliver_sm, refusals
sorted into temporary and permanent, and a new session after the SMSC drops the line."""

import time
from datetime import UTC, datetime

import pytest

from notify.backends.base import Outgoing, SendFailure
from notify.backends.smpp import SmppSms
from tests.fakes import smpp_server as smsc_codes
from tests.fakes.smpp_server import SmppServer

NUMBER = "13800000001"


@pytest.fixture
def smsc():
    with SmppServer() as server:
        yield server


@pytest.fixture
def backend(smsc):
    backend = sms_backend(smsc)
    yield backend
    backend.close()


def sms_backend(smsc, **options):
    values = {"host": "127.0.0.1", "port": smsc.port, "system_id": "zezhou", "password": "secret",
              "source_addr": "106900001234", "timeout": 2, "enquire_link_seconds": 5}
    values.update(options)
    return SmppSms(**values)


def outgoing(text="泽州县供热应急指挥部：请确认收到。", key="notice-1-person-2-sms", address=NUMBER):
    return Outgoing(key=key, channel="sms", address=address, text=text)


def eventually(condition, seconds=3.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def failure_of(backend, message):
    with pytest.raises(SendFailure) as caught:
        backend.send(message)
    return caught.value


def test_send_binds_as_transceiver_and_submits_ucs2_with_a_receipt_requested(smsc, backend):
    handed = backend.send(outgoing())
    [record] = smsc.submitted
    assert smsc.binds == [(smsc_codes.BIND_TRANSCEIVER, "zezhou", True)]
    assert handed.provider_ref == record["message_id"] and handed.segments == 1
    assert record["destination_addr"] == NUMBER and record["source_addr"] == "106900001234"
    assert record["data_coding"] == 8 and record["registered_delivery"] == 1
    assert smsc.texts() == ["泽州县供热应急指挥部：请确认收到。"]


def test_one_session_carries_many_messages(smsc, backend):
    for i in range(5):
        backend.send(outgoing(key=str(i)))
    assert len(smsc.binds) == 1 and len(smsc.submitted) == 5


def test_long_chinese_text_is_split_as_the_gateway_counts_it(smsc, backend):
    assert backend.send(outgoing(text="热" * 70, key="70")).segments == 1
    assert backend.send(outgoing(text="热" * 71, key="71")).segments == 2
    assert backend.send(outgoing(text="热" * 134, key="134")).segments == 2
    long_text = "泽州县供热应急" * 20  # 140 characters
    handed = backend.send(outgoing(text=long_text, key="140"))
    assert handed.segments == 3
    parts = smsc.submitted[-3:]
    assert all(p["esm_class"] & 0x40 for p in parts)  # UDH present
    assert [len(p["short_message"]) for p in parts] == [6 + 134, 6 + 134, 6 + 12]
    assert smsc.texts()[-1] == long_text and handed.provider_ref == parts[0]["message_id"]


def test_the_same_key_twice_is_handed_over_once(smsc, backend):
    first = backend.send(outgoing())
    assert backend.send(outgoing()) == first
    assert len(smsc.submitted) == 1


def test_receipts_delivered_and_failed(smsc, backend):
    delivered = backend.send(outgoing(key="a")).provider_ref
    failed = backend.send(outgoing(key="b")).provider_ref
    smsc.send_receipt(delivered)
    smsc.send_receipt(failed, stat="UNDELIV", err="013", with_tlvs=False)
    smsc.send_receipt(failed, stat="ENROUTE")  # not final: no receipt
    eventually(lambda: len(smsc.deliver_responses) == 3)
    receipts = {r.provider_ref: r for r in backend.receipts()}
    assert set(receipts) == {delivered, failed}
    assert receipts[delivered].delivered and receipts[delivered].code == "DELIVRD:000"
    assert not receipts[failed].delivered and receipts[failed].code == "UNDELIV:013"
    assert abs(receipts[delivered].at - datetime.now(UTC)).total_seconds() < 120
    assert all(status == 0 for _, status in smsc.deliver_responses)
    assert backend.receipts() == []  # drained


def test_a_receipt_sent_twice_is_reported_twice(smsc, backend):
    ref = backend.send(outgoing()).provider_ref
    smsc.send_receipt(ref)
    smsc.send_receipt(ref)
    eventually(lambda: len(smsc.deliver_responses) == 2)
    assert [r.provider_ref for r in backend.receipts()] == [ref, ref]


def test_a_long_messages_parts_make_one_receipt(smsc, backend):
    handed = backend.send(outgoing(text="热" * 140))
    first, second, third = (p["message_id"] for p in smsc.submitted)
    smsc.send_receipt(first)
    smsc.send_receipt(third, stat="UNDELIV", err="001")
    eventually(lambda: len(smsc.deliver_responses) == 2)
    assert backend.receipts() == []  # waiting for the second part
    smsc.send_receipt(second)
    eventually(lambda: len(smsc.deliver_responses) == 3)
    [receipt] = backend.receipts()
    assert receipt.provider_ref == handed.provider_ref and not receipt.delivered
    assert receipt.code == "UNDELIV:001"


def test_an_unreadable_receipt_is_acknowledged_and_the_session_goes_on(smsc, backend):
    backend.send(outgoing(key="a"))
    smsc.send_raw_receipt("garbage")
    eventually(lambda: smsc.deliver_responses)
    assert smsc.deliver_responses[0][1] == 0 and backend.receipts() == []
    backend.send(outgoing(key="b"))
    assert len(smsc.binds) == 1


def test_replies_from_phones(smsc, backend):
    backend.send(outgoing())
    smsc.send_reply("8613800000001", "收到 A7K2")
    eventually(lambda: smsc.deliver_responses)
    [reply] = backend.replies()
    assert (reply.address, reply.text) == (NUMBER, "收到 A7K2")


@pytest.mark.parametrize(("status", "code", "throttled"), [
    (smsc_codes.ESME_RTHROTTLED, "ESME_RTHROTTLED", True),
    (smsc_codes.ESME_RSYSERR, "ESME_RSYSERR", False)])
def test_throttled_or_system_error_is_temporary(smsc, backend, status, code, throttled):
    smsc.errors = [status]
    failure = failure_of(backend, outgoing())
    assert failure.code == code and failure.temporary
    assert failure.throttled is throttled  # a turn to wait for, not an attempt
    backend.send(outgoing())  # the session survives a refusal
    assert len(smsc.binds) == 1


def test_a_bad_number_is_permanent(smsc, backend):
    smsc.errors = [smsc_codes.ESME_RINVDSTADR]
    failure = failure_of(backend, outgoing())
    assert failure.code == "ESME_RINVDSTADR" and not failure.temporary


def test_a_wrong_password_is_permanent(smsc):
    backend = sms_backend(smsc, password="wrong")
    failure = failure_of(backend, outgoing())
    assert failure.code == "bind_ESME_RINVPASWD" and not failure.temporary


def test_smsc_down_is_temporary(smsc):
    backend = sms_backend(smsc)
    smsc.stop()
    failure = failure_of(backend, outgoing())
    assert failure.code == "unreachable" and failure.temporary


def test_an_smsc_slower_than_the_timeout_is_temporary_and_the_session_renewed(smsc):
    backend = sms_backend(smsc, timeout=0.5)
    backend.send(outgoing(key="a"))
    smsc.respond_delay = 1.0
    failure = failure_of(backend, outgoing(key="b"))
    assert failure.code == "timeout" and failure.temporary
    smsc.respond_delay = 0
    backend.send(outgoing(key="c"))
    assert len(smsc.binds) == 2  # the unsure session was given up
    backend.close()


def test_reconnects_after_the_smsc_drops_the_connection(smsc, backend):
    backend.send(outgoing(key="a"))
    smsc.drop()
    eventually(lambda: backend._client is None)  # the reader thread saw it
    backend.send(outgoing(key="b"))
    assert len(smsc.binds) == 2 and len(smsc.submitted) == 2


def test_a_drop_while_waiting_fails_the_send_temporarily(smsc, backend):
    backend.send(outgoing(key="a"))
    smsc.respond_delay = 0.5
    import threading

    threading.Timer(0.1, smsc.drop).start()
    failure = failure_of(backend, outgoing(key="b"))
    assert failure.code == "connection_lost" and failure.temporary


def test_receipts_bind_again_to_collect_what_waited_at_the_smsc(smsc, backend):
    ref = backend.send(outgoing()).provider_ref
    smsc.drop()
    eventually(lambda: backend._client is None)
    assert backend.receipts() == []  # binds again
    assert smsc.bound_sessions == 1
    smsc.send_receipt(ref)
    eventually(lambda: smsc.deliver_responses)
    assert [r.provider_ref for r in backend.receipts()] == [ref]


def test_enquire_link_keeps_a_quiet_line(smsc):
    backend = sms_backend(smsc, enquire_link_seconds=0.2)
    backend.send(outgoing())
    eventually(lambda: smsc.enquire_links >= 2)
    assert backend._client is not None
    backend.close()
    assert eventually(lambda: smsc.bound_sessions == 0)


def test_a_silent_smsc_is_given_up_and_bound_again(smsc):
    backend = sms_backend(smsc, enquire_link_seconds=0.2)
    backend.send(outgoing(key="a"))
    smsc.silent = True
    eventually(lambda: backend._client is None, seconds=3)  # after 2.5 quiet periods
    smsc.silent = False
    backend.send(outgoing(key="b"))
    assert len(smsc.binds) == 2
    backend.close()


def test_a_forked_worker_binds_its_own_session(smsc, backend, monkeypatch):
    backend.send(outgoing(key="a"))
    monkeypatch.setattr("notify.backends.smpp.os.getpid", lambda: -1)  # as in a forked child
    backend.send(outgoing(key="b"))
    assert len(smsc.binds) == 2 and len(smsc.submitted) == 2
