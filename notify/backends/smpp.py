"""SMPP 3.4, the protocol of carriers' and government SMS platforms, over smpplib.

One transceiver session per backend instance (so per worker process). Threads:
  - the caller's thread (a Celery task) runs send(): it connects and binds if needed, writes
    submit_sm and waits, at most `timeout`, for its submit_sm_resp;
  - a reader thread owns the socket's reading side: it hands submit_sm_resp to the waiting
    sender, answers enquire_link and deliver_sm, sends enquire_link when the line is quiet
    and declares the session lost when the SMSC stays silent for 2.5 of those periods.
    Delivery receipts and replies (deliver_sm) wait in bounded queues that receipts() and
    replies() drain.
Writes from both threads go through one lock. When the session is lost (the SMSC dropped
it, a reply never came) the next send(), receipts() or replies() connects again. A forked
process (Celery's prefork pool) binds a session of its own. Receipts come on whichever
session the SMSC picks, and wait in that process's memory until its receipts() is called:
run SMS work in one worker process (a queue of its own, concurrency 1) where the SMSC
allows one bind per account, and call receipts() there.

Texts go as UCS-2 (data_coding 8) with registered_delivery=1; longer than 70 characters they
are split into 67-character parts with a concatenation header (UDH), as smpplib does. A
message's provider_ref is its first part's message id; receipts of the other parts are
folded into one receipt for the message (delivered only if every part was).

SMPP has no idempotency key: the outgoing key is kept here (bounded, in memory), so a retry
of a key this process already handed over returns the same Handed instead of a second SMS."""

import logging
import os
import re
import socket
import threading
import time
from collections import OrderedDict, deque
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import smpplib.client
import smpplib.consts
import smpplib.exceptions
import smpplib.gsm
import smpplib.smpp

from notify.backends.base import Backend, Handed, Receipt, Reply, SendFailure
from notify.choices import Channel
from notify.sms_text import gateway_number, masked

logger = logging.getLogger(__name__)
SESSION_LOGGER = "notify.backends.smpp.session"
# smpplib writes every PDU in hex at DEBUG, phone numbers and texts included: never that.
logging.getLogger(SESSION_LOGGER).setLevel(logging.INFO)

C = smpplib.consts
STATUS_NAMES = {value: name[len("SMPP_"):] for name, value in vars(C).items()
                if name.startswith("SMPP_ESME_") and isinstance(value, int)}
# Statuses worth trying again later; any other refusal means this message will not go by
# this SMSC (bad address, rejected text), so the next channel is tried.
TEMPORARY_STATUSES = {C.SMPP_ESME_RTHROTTLED, C.SMPP_ESME_RMSGQFUL, C.SMPP_ESME_RSYSERR,
                      C.SMPP_ESME_RSUBMITFAIL, C.SMPP_ESME_RX_T_APPN, C.SMPP_ESME_RINVBNDSTS}
# The account's submit rate or the SMSC's queue exceeded: wait for a turn.
THROTTLED_STATUSES = {C.SMPP_ESME_RTHROTTLED, C.SMPP_ESME_RMSGQFUL}
# A bind refused for these will not succeed by trying again: the county's account is wrong.
BAD_ACCOUNT_STATUSES = {C.SMPP_ESME_RINVPASWD, C.SMPP_ESME_RINVSYSID}
FINAL_STATES = {"DELIVRD": True, "UNDELIV": False, "EXPIRED": False, "DELETED": False,
                "REJECTD": False, "UNKNOWN": False}
RECEIPT_CLASS = 0x04  # esm_class: SMSC delivery receipt
RECEIPT_TEXT = re.compile(r"id:(?P<id>\S+).*?(?:done date:(?P<done>\d{10,12}))?\s*stat:(?P<stat>\w+)"
                          r"(?:\s+err:(?P<err>\w+))?", re.IGNORECASE | re.DOTALL)


def status_name(status):
    return STATUS_NAMES.get(status, f"status_0x{status:02X}")


def decode_text(data, data_coding, esm_class):
    """The text of a deliver_sm's short_message (its UDH, if any, removed)."""
    if esm_class & C.SMPP_GSMFEAT_UDHI and data:
        data = data[data[0] + 1:]
    if data_coding == C.SMPP_ENCODING_ISO10646:
        return data.decode("utf-16-be", errors="replace")
    if data_coding == 0x0F:  # GBK, used by Chinese gateways
        return data.decode("gbk", errors="replace")
    return data.decode("latin-1")


def parse_receipt(pdu, zone):
    """A Receipt from a delivery-receipt deliver_sm, or None if it is not final."""
    text = decode_text(pdu.short_message or b"", pdu.data_coding or 0, pdu.esm_class or 0)
    match = RECEIPT_TEXT.search(text)
    if match is None:
        logger.warning("SMPP receipt not understood: %r", text[:120])
        return None
    stat = match["stat"].upper()
    if stat not in FINAL_STATES:
        return None  # ENROUTE, ACCEPTD: not final yet
    ref = getattr(pdu, "receipted_message_id", None) or match["id"]
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", errors="replace")
    at = datetime.now(UTC)
    if match["done"]:
        layout = "%y%m%d%H%M%S" if len(match["done"]) == 12 else "%y%m%d%H%M"
        try:
            at = datetime.strptime(match["done"], layout).replace(tzinfo=zone)
        except ValueError:
            pass
    return Receipt(provider_ref=ref.strip("\x00"), delivered=FINAL_STATES[stat], at=at,
                   code=stat if not match["err"] else f"{stat}:{match['err']}")


def parse_reply(pdu):
    """A Reply from a mobile-originated deliver_sm (concatenated replies are not joined)."""
    text = decode_text(pdu.short_message or b"", pdu.data_coding or 0, pdu.esm_class or 0)
    address = pdu.source_addr
    if isinstance(address, bytes):
        address = address.decode("ascii", errors="replace")
    return Reply(address=gateway_number(address or ""), text=text, at=datetime.now(UTC))


def _hang_up(client):
    """Closes a session's socket so that its reader thread wakes at once."""
    sock = client._socket
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    client.disconnect()


class _Client(smpplib.client.Client):
    """smpplib's client with one writer at a time (the sender and the reader thread both
    write) and the time the SMSC was last heard."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.write_lock = threading.Lock()
        self.last_heard = time.monotonic()

    def send_pdu(self, p):
        with self.write_lock:
            return super().send_pdu(p)

    def read_pdu(self):
        pdu = super().read_pdu()
        self.last_heard = time.monotonic()
        return pdu


class SmppSms(Backend):
    """Options (from the SMPP_* variables): host, port, system_id, password, system_type,
    source_addr (the county's service number), timeout (seconds for a connect, a bind or a
    submit_sm_resp), enquire_link_seconds, smsc_timezone (of the receipts' dates)."""

    channel = Channel.SMS

    def __init__(self, *, host, system_id, password, port=2775, system_type="", source_addr="",
                 timeout=10, enquire_link_seconds=30, smsc_timezone="Asia/Shanghai",
                 max_queued=10_000, max_remembered=10_000):
        super().__init__(host=host, port=port, system_id=system_id)
        self.host, self.port = host, int(port)
        self.system_id, self.password, self.system_type = system_id, password, system_type
        self.source_addr = source_addr
        self.timeout = float(timeout)
        self.enquire_link_seconds = float(enquire_link_seconds)
        self.zone = ZoneInfo(smsc_timezone)
        self.max_remembered = max_remembered
        self._lock = threading.Lock()  # the session, sequence numbers and the pending table
        self._client = None
        self._pid = os.getpid()
        self._pending = {}  # sequence -> Future of (status, message_id)
        self._receipts = deque(maxlen=max_queued)
        self._replies = deque(maxlen=max_queued)
        self._handed = OrderedDict()  # outgoing key -> Handed
        self._parts = OrderedDict()  # a later part's message id -> the first part's
        self._multipart = {}  # first part's id -> {"waiting": set, "failed": Receipt|None}

    # sending

    def send(self, outgoing):
        with self._lock:
            if outgoing.key in self._handed:
                return self._handed[outgoing.key]
        number = gateway_number(outgoing.address)
        parts, encoding, esm_class = smpplib.gsm.make_parts(outgoing.text, C.SMPP_ENCODING_ISO10646)
        client = self._session()
        ids = [self._submit(client, number, part, encoding, esm_class) for part in parts]
        handed = Handed(provider_ref=ids[0], segments=len(parts))
        with self._lock:
            self._remember(self._handed, outgoing.key, handed)
            if len(ids) > 1:
                self._multipart[ids[0]] = {"waiting": set(ids), "failed": None}
                for later in ids[1:]:
                    self._remember(self._parts, later, ids[0])
        logger.info("SMS to %s handed to the SMSC as %s (%d parts)", masked(number), ids[0], len(ids))
        return handed

    def _submit(self, client, number, part, encoding, esm_class):
        """Writes one submit_sm and waits for its answer: the message id, or SendFailure."""
        future = Future()
        with self._lock:
            pdu = smpplib.smpp.make_pdu(
                "submit_sm", client=client, service_type="", source_addr_ton=C.SMPP_TON_UNK,
                source_addr_npi=C.SMPP_NPI_ISDN, source_addr=self.source_addr,
                dest_addr_ton=C.SMPP_TON_UNK, dest_addr_npi=C.SMPP_NPI_ISDN, destination_addr=number,
                esm_class=esm_class, data_coding=encoding, short_message=part,
                registered_delivery=C.SMPP_SMSC_DELIVERY_RECEIPT_BOTH)
            self._pending[pdu.sequence] = future
        try:
            client.send_pdu(pdu)
            status, message_id = future.result(timeout=self.timeout)
        except FutureTimeout:
            self._lost(client, "no submit_sm_resp in time")
            raise SendFailure("timeout", "the SMSC did not answer in time", temporary=True) from None
        except (smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError, OSError) as error:
            self._lost(client, error)
            raise SendFailure("connection_lost", str(error), temporary=True) from error
        finally:
            with self._lock:
                self._pending.pop(pdu.sequence, None)
        if status != C.SMPP_ESME_ROK:
            raise SendFailure(status_name(status), C.DESCRIPTIONS.get(status, ""),
                              temporary=status in TEMPORARY_STATUSES,
                              throttled=status in THROTTLED_STATUSES)
        return message_id

    def _remember(self, table, key, value):
        table[key] = value
        while len(table) > self.max_remembered:
            table.popitem(last=False)

    # the session

    def _session(self):
        """The bound client, connecting and binding first if there is none (or if the one
        there was inherited from the process this one was forked from: its reader thread
        did not come along, and its socket is the parent's)."""
        with self._lock:
            if self._client is not None and self._pid == os.getpid():
                return self._client
            self._client, self._pending, self._pid = None, {}, os.getpid()
            client = _Client(self.host, self.port, timeout=self.timeout, allow_unknown_opt_params=True,
                             logger_name=SESSION_LOGGER)
            client.set_message_received_handler(self._on_deliver)
            client.set_message_sent_handler(self._on_submit_resp)
            client.set_error_pdu_handler(self._on_error_pdu)
            try:
                client.connect()
                client.bind_transceiver(system_id=self.system_id, password=self.password,
                                        system_type=self.system_type)
            except smpplib.exceptions.PDUError as error:
                client.disconnect()
                status = error.args[1] if len(error.args) > 1 else C.SMPP_ESME_RBINDFAIL
                raise SendFailure(f"bind_{status_name(status)}", str(error),
                                  temporary=status not in BAD_ACCOUNT_STATUSES) from error
            except (smpplib.exceptions.ConnectionError, OSError) as error:
                client.disconnect()
                raise SendFailure("unreachable", str(error) or "connection refused",
                                  temporary=True) from error
            client._socket.settimeout(self.enquire_link_seconds)
            self._client = client
        threading.Thread(target=self._read, args=(client,), daemon=True, name="smpp-reader").start()
        logger.info("SMPP session bound to %s:%s", self.host, self.port)
        return client

    def _read(self, client):
        """The reader thread of one session, until it is lost or closed."""
        try:
            while self._client is client:
                client.read_once(auto_send_enquire_link=True)
                if time.monotonic() - client.last_heard > 2.5 * self.enquire_link_seconds:
                    raise smpplib.exceptions.ConnectionError("the SMSC stopped answering")
        except Exception as error:  # any end of a session (closed, reset, garbage) is the same
            self._lost(client, error)

    def _lost(self, client, reason):
        """Forgets a session: its waiting senders fail (temporary), the next call reconnects."""
        with self._lock:
            if self._client is not client:
                return
            self._client = None
            pending, self._pending = self._pending, {}
        logger.warning("SMPP session to %s:%s lost: %s", self.host, self.port, reason)
        for future in pending.values():
            if not future.done():
                future.set_exception(smpplib.exceptions.ConnectionError(str(reason)))
        try:
            _hang_up(client)
        except OSError:
            pass

    # what the reader thread hands over

    def _resolve(self, pdu, message_id=""):
        with self._lock:
            future = self._pending.get(pdu.sequence)
        if future is not None and not future.done():
            future.set_result((pdu.status, message_id))

    def _on_submit_resp(self, pdu, **kwargs):
        message_id = pdu.message_id or b""
        if isinstance(message_id, bytes):
            message_id = message_id.decode("ascii", errors="replace")
        self._resolve(pdu, message_id.strip("\x00"))

    def _on_error_pdu(self, pdu):
        self._resolve(pdu)  # a refused submit_sm, or a generic_nack

    def _on_deliver(self, pdu, **kwargs):
        """Queues a deliver_sm's receipt or reply. One we cannot read is logged and still
        acknowledged: refused, the SMSC would deliver it again after every reconnect."""
        try:
            if (pdu.esm_class or 0) & RECEIPT_CLASS:
                receipt = parse_receipt(pdu, self.zone)
                if receipt is not None:
                    self._receipt_arrived(receipt)
            else:
                self._replies.append(parse_reply(pdu))
        except Exception:  # a malformed PDU must not end the session
            logger.exception("SMPP deliver_sm not understood")
        return C.SMPP_ESME_ROK

    def _receipt_arrived(self, receipt):
        """Queues a receipt, folding the parts of a long message into one."""
        with self._lock:
            first = self._parts.get(receipt.provider_ref, receipt.provider_ref)
            state = self._multipart.get(first)
            if state is None:
                self._receipts.append(receipt)
                return
            state["waiting"].discard(receipt.provider_ref)
            if not receipt.delivered and state["failed"] is None:
                state["failed"] = receipt
            if state["waiting"]:
                return
            del self._multipart[first]
            final = state["failed"] or receipt
            self._receipts.append(Receipt(provider_ref=first, delivered=state["failed"] is None,
                                          at=receipt.at, code=final.code))

    # draining

    def receipts(self):
        self._reconnect_quietly()
        return self._drain(self._receipts)

    def replies(self):
        self._reconnect_quietly()
        return self._drain(self._replies)

    def _reconnect_quietly(self):
        """Receipts wait at the SMSC while no session is bound: bind again to get them."""
        try:
            self._session()
        except SendFailure as failure:
            logger.warning("SMPP session to %s:%s not available: %s", self.host, self.port, failure)

    @staticmethod
    def _drain(queue):
        items = []
        while True:
            try:
                items.append(queue.popleft())
            except IndexError:
                return items

    def close(self):
        with self._lock:
            client, self._client = self._client, None
        if client is None:
            return
        try:
            client.send_pdu(smpplib.smpp.make_pdu("unbind", client=client))
        except (smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError, OSError):
            pass
        _hang_up(client)
