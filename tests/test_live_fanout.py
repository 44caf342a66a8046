"""The fan-out of one web process (command_room.fanout): a frame goes to every socket at once,
and a socket whose client stopped reading (a phone in a lift) holds up no other screen; it
gets its frames afterwards, in order. End to end, with real sockets: test_live_socket."""

import asyncio

from command_room.fanout import BACKLOG_FRAMES, Outbox, websocket_send


class Socket:
    """An ASGI send as Uvicorn's: it waits while the client does not read, then writes."""

    def __init__(self, reading=True):
        self.reading = asyncio.Event()
        if reading:
            self.reading.set()
        self.received = []

    async def send(self, message):
        await self.reading.wait()
        self.received.append(message["text"])


async def settled():
    for _ in range(BACKLOG_FRAMES + 10):
        await asyncio.sleep(0)


def put_all(outboxes, texts):
    for text in texts:
        message = websocket_send(text)
        for outbox in outboxes:
            outbox.put(message)


def test_a_socket_that_stopped_reading_holds_up_no_other_and_gets_its_frames_in_order():
    async def scenario():
        wall, phone = Socket(), Socket(reading=False)
        put_all([Outbox(wall.send, 0), Outbox(phone.send, 0)], ["1", "2", "3"])
        sent_at_once = list(wall.received)  # before this task gave the loop a turn
        await settled()
        before_reading = list(phone.received)
        phone.reading.set()
        await settled()
        return sent_at_once, before_reading, phone.received

    sent_at_once, before_reading, afterwards = asyncio.run(scenario())
    assert sent_at_once == ["1", "2", "3"]
    assert before_reading == []
    assert afterwards == ["1", "2", "3"]


def test_a_socket_that_stays_stalled_keeps_the_latest_frames_in_order():
    """Beyond BACKLOG_FRAMES the oldest waiting frames go: the browser sees the gap in the
    sequence numbers and fetches them from the timeline API."""
    async def scenario():
        phone = Socket(reading=False)
        put_all([Outbox(phone.send, 0)], [str(n) for n in range(BACKLOG_FRAMES + 50)])
        phone.reading.set()
        await settled()
        return [int(text) for text in phone.received]

    received = asyncio.run(scenario())
    assert received == sorted(received)
    assert received[-1] == BACKLOG_FRAMES + 49
    assert len(received) <= BACKLOG_FRAMES + 1
