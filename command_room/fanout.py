"""One process, many live sockets: each push is received once per process, from one
subscription, and each frame's JSON text (made once by command_room.push) goes as it is to
every socket whose audience sees it; the others get the skip text, likewise made once. The
sockets are grouped by audience, so whether a frame is visible is decided once per audience,
not once per socket.

A send is written to its socket at once, in the loop over the sockets, without a task or a
wait per socket (Outbox); only a socket whose client stopped reading gets a task of its own,
so one stalled phone never holds up the wall. One task tells every socket the latest
sequence number (the heartbeat), each socket once every LIVE_HEARTBEAT_SECONDS, the sockets
spread over the interval, from one read of the database a second."""

import asyncio
import json
import logging
import random
from collections import defaultdict, deque

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from command_room.push import GROUP
from timeline.selectors import latest_seq as read_latest_seq

logger = logging.getLogger(__name__)
BACKLOG_FRAMES = 200  # frames kept for a socket whose client stopped reading; then the oldest go
SUBSCRIBE_RETRY_SECONDS = 1


def websocket_send(text):
    """The ASGI message for a text frame; one per frame, shared by every socket it goes to."""
    return {"type": "websocket.send", "text": text}


class Outbox:
    """One socket's sending end. A frame is written at once: the ASGI send is stepped here and
    now, and Uvicorn's send writes to the socket's buffer without pausing unless the client
    has stopped reading. A send that does pause is finished by a task, and the frames that
    follow wait behind it, in order, up to BACKLOG_FRAMES (a browser that sees a gap in the
    sequence numbers catches up from the timeline API)."""

    __slots__ = ("send", "beat_slot", "backlog", "draining")

    def __init__(self, send, beat_slot):
        self.send = send
        self.beat_slot = beat_slot
        self.backlog = deque(maxlen=BACKLOG_FRAMES)
        self.draining = None

    def put(self, message):
        if self.draining is not None:
            self.backlog.append(message)
            return
        coroutine = self.send(message)
        try:
            waiting_for = coroutine.send(None)
        except StopIteration:
            return  # written
        except Exception:  # noqa: BLE001 - the socket is closing; its disconnect() follows
            return
        self.draining = asyncio.ensure_future(self._drain(Paused(coroutine, waiting_for)))

    async def _drain(self, paused):
        try:
            await paused
            while self.backlog:
                await self.send(self.backlog.popleft())
        except Exception:  # noqa: BLE001 - the socket is closing; its disconnect() follows
            self.backlog.clear()
        finally:
            self.draining = None


class Paused:
    """A coroutine stepped by hand (Outbox.put) that paused on `waiting_for`, made awaitable
    again so that a task can finish it; what Python 3.12's eager tasks do."""

    def __init__(self, coroutine, waiting_for):
        self.coroutine = coroutine
        self.waiting_for = waiting_for

    def __await__(self):
        waiting_for = self.waiting_for
        while True:
            try:
                try:
                    value = yield waiting_for
                except BaseException as error:  # a cancellation goes on to the coroutine
                    waiting_for = self.coroutine.throw(error)
                else:
                    waiting_for = self.coroutine.send(value)
            except StopIteration as finished:
                return finished.value


class Fanout:
    """This process's open live sockets, by audience. From the first socket on, one task
    receives the pushes and one tells the heartbeat, for the life of the process."""

    def __init__(self):
        self.audiences = defaultdict(dict)  # Audience: {consumer: Outbox}
        self.tasks = ()
        self.latest_seq = 0
        self.listeners = []  # called with each push after its frames went out (panel_push)

    def __len__(self):
        return sum(len(outboxes) for outboxes in self.audiences.values())

    def consumers(self):
        return [consumer for outboxes in self.audiences.values() for consumer in outboxes]

    def add(self, consumer):
        send = consumer.scope.get("server_send", consumer.base_send)  # see zezhou_heat.asgi
        self.audiences[consumer.audience][consumer] = Outbox(
            send, random.randrange(settings.LIVE_HEARTBEAT_SECONDS))
        if not self.tasks:
            self.tasks = (asyncio.create_task(self._receive_pushes()),
                          asyncio.create_task(self._beat()))

    def discard(self, consumer):
        outboxes = self.audiences.get(consumer.audience, {})
        outboxes.pop(consumer, None)
        if not outboxes:
            self.audiences.pop(consumer.audience, None)

    def send(self, consumer, text):
        """A frame to one socket, in its order with the frames to all."""
        outbox = self.audiences.get(consumer.audience, {}).get(consumer)
        if outbox is not None:
            outbox.put(websocket_send(text))

    def send_to_all(self, text):
        message = websocket_send(text)
        for outbox in self._outboxes():
            outbox.put(message)

    def deliver(self, push):
        """A push from command_room.push: the event to the audiences that see it, its
        sequence number alone to the others."""
        event, skip = websocket_send(push["text"]), websocket_send(push["skip"])
        for audience, outboxes in list(self.audiences.items()):
            message = event if audience.sees(push["audience"]) else skip
            for outbox in list(outboxes.values()):
                outbox.put(message)
        for listener in self.listeners:
            listener(push)

    def _outboxes(self):
        return [outbox for outboxes in self.audiences.values() for outbox in outboxes.values()]

    async def _receive_pushes(self):
        """One subscription to the push group for the whole process, tried again while Redis
        refuses it; once taken, the channel layer subscribes again by itself whenever Redis
        comes back."""
        layer = get_channel_layer()
        channel = None
        while True:
            try:
                async with asyncio.timeout(settings.LIVE_PUBLISH_TIMEOUT_MS / 1000):
                    channel = channel or await layer.new_channel("live.")
                    await layer.group_add(GROUP, channel)
                break
            except Exception as error:  # noqa: BLE001 - the heartbeat keeps screens true meanwhile
                logger.warning("Live push could not subscribe (%r); retrying", error)
                await asyncio.sleep(SUBSCRIBE_RETRY_SECONDS)
        while True:
            self.deliver(await layer.receive(channel))

    async def _beat(self):
        """Every second, the heartbeat to the sockets whose turn it is."""
        tick = 0
        while True:
            await asyncio.sleep(1)
            tick += 1
            slot = tick % settings.LIVE_HEARTBEAT_SECONDS
            due = [outbox for outbox in self._outboxes() if outbox.beat_slot == slot]
            if not due:
                continue
            try:
                self.latest_seq = await database_sync_to_async(read_latest_seq)()
            except Exception:  # the database away for a moment: the number last read
                logger.exception("Live heartbeat could not read the latest event")
            message = websocket_send(json.dumps({"type": "heartbeat", "seq": self.latest_seq}))
            for outbox in due:
                outbox.put(message)


fanout = Fanout()
