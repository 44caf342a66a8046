"""A local SMPP 3.4 SMSC for tests: an asyncio server on 127.0.0.1 in a thread of its own.

It answers bind_transmitter / bind_receiver / bind_transceiver (checking system_id and
password), submit_sm (a message id each, or the error a test sets), enquire_link and unbind;
sends deliver_sm delivery receipts and MO replies on demand and records their
deliver_sm_resp; and can drop every connection. Its PDU codec is written here from the
specification, not taken from smpplib, so the test does not trust the client's own code."""

import asyncio
import itertools
import struct
import threading
from datetime import datetime
from zoneinfo import ZoneInfo

BIND_RECEIVER, BIND_TRANSMITTER, SUBMIT_SM, DELIVER_SM = 0x01, 0x02, 0x04, 0x05
UNBIND, BIND_TRANSCEIVER, ENQUIRE_LINK, GENERIC_NACK = 0x06, 0x09, 0x15, 0x80000000
RESP = 0x80000000
ESME_ROK, ESME_RINVCMDID, ESME_RINVBNDSTS = 0x00, 0x03, 0x04
ESME_RINVPASWD, ESME_RINVDSTADR, ESME_RTHROTTLED, ESME_RSYSERR = 0x0E, 0x0B, 0x58, 0x08
TLV_RECEIPTED_MESSAGE_ID, TLV_MESSAGE_STATE = 0x001E, 0x0427
BEIJING = ZoneInfo("Asia/Shanghai")


def c_string(data, pos):
    end = data.index(b"\x00", pos)
    return data[pos:end].decode("ascii"), end + 1


def pdu(command_id, status, sequence, body=b""):
    return struct.pack(">IIII", 16 + len(body), command_id, status, sequence) + body


def parse_submit_sm(body):
    """The fields of a submit_sm (or deliver_sm) body, by the specification's order."""
    fields, pos = {}, 0
    fields["service_type"], pos = c_string(body, pos)
    fields["source_addr_ton"], fields["source_addr_npi"] = body[pos], body[pos + 1]
    fields["source_addr"], pos = c_string(body, pos + 2)
    fields["dest_addr_ton"], fields["dest_addr_npi"] = body[pos], body[pos + 1]
    fields["destination_addr"], pos = c_string(body, pos + 2)
    fields["esm_class"], fields["protocol_id"], fields["priority_flag"] = body[pos:pos + 3]
    fields["schedule_delivery_time"], pos = c_string(body, pos + 3)
    fields["validity_period"], pos = c_string(body, pos)
    (fields["registered_delivery"], fields["replace_if_present_flag"], fields["data_coding"],
     fields["sm_default_msg_id"], length) = body[pos:pos + 5]
    fields["short_message"] = body[pos + 5:pos + 5 + length]
    return fields


def deliver_sm_body(*, source, destination, esm_class, data_coding, short_message, tlvs=b""):
    return b"".join([
        b"\x00",  # service_type
        bytes([1, 1]), source.encode() + b"\x00",
        bytes([0, 1]), destination.encode() + b"\x00",
        bytes([esm_class, 0, 0]), b"\x00", b"\x00",  # protocol, priority, schedule, validity
        bytes([0, 0, data_coding, 0, len(short_message)]), short_message, tlvs,
    ])


def tlv(tag, value):
    return struct.pack(">HH", tag, len(value)) + value


class SmppServer:
    """`with SmppServer() as smsc:`; `smsc.port`; set `smsc.errors` (a list of command
    statuses answered to the next submit_sm, one each) or `smsc.always_error`."""

    def __init__(self, *, accounts=None, respond_delay=0.0):
        self.accounts = accounts or {"zezhou": "secret"}
        self.respond_delay = respond_delay
        self.errors = []  # statuses for the next submit_sm PDUs, consumed in order
        self.always_error = None
        self.silent = False  # True: reads everything, answers nothing (a hung SMSC)
        self.submitted = []  # dicts: the parsed submit_sm fields, message_id, session number
        self.deliver_responses = []  # (sequence, status) of deliver_sm_resp received
        self.enquire_links = 0
        self.binds = []  # (command, system_id, accepted)
        self._ids = itertools.count(0x5A000001)
        self._sequences = itertools.count(1)
        self._sessions = []  # open StreamWriters of bound sessions
        self._loop = asyncio.new_event_loop()
        self._server = None
        self._thread = None
        self._port = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        ready = threading.Event()

        def run():
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._session, "127.0.0.1", 0))
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, daemon=True, name="fake-smsc")
        self._thread.start()
        ready.wait(5)

    def stop(self):
        """Closes every connection and stops listening (connections are refused after)."""
        if self._thread is None:
            return
        self.drop()

        async def close():
            self._server.close()
            await self._server.wait_closed()
            sessions = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in sessions:
                task.cancel()
            await asyncio.gather(*sessions, return_exceptions=True)

        self._call(close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._thread = None
        self._loop.close()

    @property
    def port(self):
        if self._port is None:
            self._port = self._server.sockets[0].getsockname()[1]
        return self._port

    @property
    def bound_sessions(self):
        return len(self._sessions)

    # what a test does

    def drop(self):
        """Cuts every connection at once, as a crashed SMSC or a broken network would."""
        async def cut():
            for writer in list(self._sessions):
                writer.transport.abort()
            self._sessions.clear()

        self._call(cut())

    def send_receipt(self, message_id, *, stat="DELIVRD", err="000", with_tlvs=True,
                     destination="13800000001"):
        """A delivery receipt for `message_id` on the latest bound session."""
        stamp = datetime.now(BEIJING).strftime("%y%m%d%H%M")
        text = (f"id:{message_id} sub:001 dlvrd:{'001' if stat == 'DELIVRD' else '000'} "
                f"submit date:{stamp} done date:{stamp} stat:{stat} err:{err} text:")
        tlvs = b""
        if with_tlvs:
            tlvs = (tlv(TLV_RECEIPTED_MESSAGE_ID, message_id.encode() + b"\x00")
                    + tlv(TLV_MESSAGE_STATE, bytes([2 if stat == "DELIVRD" else 5])))
        self._deliver(deliver_sm_body(source=destination, destination="106900001234", esm_class=0x04,
                                      data_coding=0, short_message=text.encode(), tlvs=tlvs))

    def send_raw_receipt(self, text):
        """A delivery receipt whose text is whatever a test says."""
        self._deliver(deliver_sm_body(source="13800000001", destination="106900001234", esm_class=0x04,
                                      data_coding=0, short_message=text.encode()))

    def send_reply(self, source, text):
        """A message from a phone (MO), in UCS-2."""
        self._deliver(deliver_sm_body(source=source, destination="106900001234", esm_class=0,
                                      data_coding=8, short_message=text.encode("utf-16-be")))

    def texts(self):
        """The texts submitted, each long message joined from its parts (UDH 05 00 03)."""
        texts, partial = [], {}
        for record in self.submitted:
            data, coding = record["short_message"], record["data_coding"]
            if record["esm_class"] & 0x40:
                header, data = data[:data[0] + 1], data[data[0] + 1:]
                reference, total, number = header[3], header[4], header[5]
                parts = partial.setdefault(reference, {})
                parts[number] = data
                if len(parts) < total:
                    continue
                data = b"".join(parts[i] for i in range(1, total + 1))
                del partial[reference]
            texts.append(data.decode("utf-16-be" if coding == 8 else "latin-1"))
        return texts

    # the server

    def _call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(5)

    def _deliver(self, body):
        async def send():
            writer = self._sessions[-1]
            writer.write(pdu(DELIVER_SM, 0, next(self._sequences) + 100000, body))
            await writer.drain()

        self._call(send())

    async def _session(self, reader, writer):
        bound = False
        try:
            while True:
                header = await reader.readexactly(16)
                length, command, status, sequence = struct.unpack(">IIII", header)
                body = await reader.readexactly(length - 16)
                if self.silent:
                    continue
                if command in (BIND_RECEIVER, BIND_TRANSMITTER, BIND_TRANSCEIVER):
                    bound = self._bind(writer, command, sequence, body)
                elif command == ENQUIRE_LINK:
                    self.enquire_links += 1
                    writer.write(pdu(ENQUIRE_LINK | RESP, 0, sequence))
                elif command == SUBMIT_SM:
                    await self._submit(writer, sequence, body, bound)
                elif command == DELIVER_SM | RESP:
                    self.deliver_responses.append((sequence, status))
                elif command == UNBIND:
                    writer.write(pdu(UNBIND | RESP, 0, sequence))
                    await writer.drain()
                    break
                elif command & RESP:
                    pass
                else:
                    writer.write(pdu(GENERIC_NACK, ESME_RINVCMDID, sequence))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            if writer in self._sessions:
                self._sessions.remove(writer)
            writer.transport.abort()

    def _bind(self, writer, command, sequence, body):
        system_id, pos = c_string(body, 0)
        password, pos = c_string(body, pos)
        accepted = self.accounts.get(system_id) == password
        self.binds.append((command, system_id, accepted))
        status = ESME_ROK if accepted else ESME_RINVPASWD
        if accepted:  # counted before the answer: the client may act on it at once
            self._sessions.append(writer)
        writer.write(pdu(command | RESP, status, sequence, b"fake-smsc\x00" if accepted else b""))
        return accepted

    async def _submit(self, writer, sequence, body, bound):
        if self.respond_delay:
            await asyncio.sleep(self.respond_delay)
        fields = parse_submit_sm(body)
        status = self.errors.pop(0) if self.errors else (self.always_error or ESME_ROK)
        if not bound:
            status = ESME_RINVBNDSTS
        elif status == ESME_ROK and not fields["destination_addr"].isdigit():
            status = ESME_RINVDSTADR
        if status != ESME_ROK:
            writer.write(pdu(SUBMIT_SM | RESP, status, sequence))
            return
        message_id = f"{next(self._ids):X}"
        self.submitted.append({**fields, "message_id": message_id})
        writer.write(pdu(SUBMIT_SM | RESP, 0, sequence, message_id.encode() + b"\x00"))
