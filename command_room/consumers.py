"""The live command room's socket: push only, it never writes.

Every message from the channel layer is one timeline event, already serialised once by
command_room.push; this consumer only decides, per socket, whether its user may see it (if
not, only the sequence number goes out, so the browser sees no gap). A heartbeat carries
the latest sequence number, so a browser that missed a push (Redis down, a dropped
message) notices and fetches the rest from the timeline API. One task per process checks
the sessions of all its sockets at once and closes those whose session ended or whose user
was deactivated."""

import asyncio
import json
import logging
import random
import time
from importlib import import_module

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from command_room.audience import Audience
from command_room.push import GROUP
from directory import two_factor
from timeline.selectors import latest_seq as read_latest_seq
from zezhou_heat.middleware import limits_passed
from zezhou_heat.permissions import VIEW_TIMELINE

logger = logging.getLogger(__name__)
CLOSE_NOT_SIGNED_IN = 4401
CLOSE_NOT_ALLOWED = 4403


class TimelineConsumer(AsyncWebsocketConsumer):
    joined = False
    heartbeat = None

    async def dispatch(self, message):
        # Channels' dispatch() closes old database connections first, a thread hop per
        # message; this consumer touches the database only through database_sync_to_async,
        # which does that itself.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self):
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.close(code=CLOSE_NOT_SIGNED_IN)
            return
        self.audience = await database_sync_to_async(_audience_of)(user)
        if self.audience is None:
            await self.close(code=CLOSE_NOT_ALLOWED)
            return
        session = self.scope["session"]
        if await database_sync_to_async(limits_passed)(session):
            await self.close(code=CLOSE_NOT_SIGNED_IN)  # as a page would send it to log in
            return
        if await database_sync_to_async(two_factor.session_pending)(user, session):
            await self.close(code=CLOSE_NOT_SIGNED_IN)  # the second factor is still owed
            return
        self.session_key, self.user_id = session.session_key, user.pk
        await self.accept()
        await self._join()
        self.heartbeat = asyncio.create_task(self._beat())
        open_sockets.add(self)
        if not feed_watch.up:
            await self.send(text_data=feed_watch.frame())

    async def disconnect(self, code):
        open_sockets.discard(self)
        if self.heartbeat:
            self.heartbeat.cancel()
        if self.joined:
            try:
                await asyncio.wait_for(self.channel_layer.group_discard(GROUP, self.channel_name),
                                       settings.LIVE_PUBLISH_TIMEOUT_MS / 1000)
            except Exception:  # noqa: BLE001 - Redis gone: nothing left to unsubscribe from
                pass

    async def receive(self, text_data=None, bytes_data=None):
        """Push only: whatever a browser sends is ignored."""

    async def timeline_event(self, message):
        visible = self.audience.sees(message["audience"])
        await self.send(text_data=message["text"] if visible else message["skip"])

    async def _join(self):
        try:
            await asyncio.wait_for(self.channel_layer.group_add(GROUP, self.channel_name),
                                   settings.LIVE_PUBLISH_TIMEOUT_MS / 1000)
            self.joined = True
        except Exception as error:  # noqa: BLE001 - the heartbeat keeps the screen true meanwhile
            logger.warning("Live socket could not join the push group (%r); retrying", error)

    async def _beat(self):
        """Every LIVE_HEARTBEAT_SECONDS: join the push group if Redis refused it, and tell
        the browser the latest sequence number."""
        interval = settings.LIVE_HEARTBEAT_SECONDS
        await asyncio.sleep(random.uniform(0, interval))  # spread the sockets' beats
        while True:
            if not self.joined:
                await self._join()
            try:
                seq = await latest_seq()
            except Exception:  # the database away for a moment: try at the next beat
                logger.exception("Live heartbeat could not read the latest event")
            else:
                try:
                    await self.send(text_data=json.dumps({"type": "heartbeat", "seq": seq}))
                except Exception:  # noqa: BLE001 - the socket is closing; disconnect() follows
                    return
            await asyncio.sleep(interval)


def _audience_of(user):
    return Audience.of(user) if user.has_perm(VIEW_TIMELINE) else None


_latest = {"seq": 0, "read_at": float("-inf")}


async def latest_seq():
    """The latest sequence number, read at most once a second per process, however many
    sockets ask."""
    if time.monotonic() - _latest["read_at"] >= 1:
        _latest["read_at"] = time.monotonic()
        _latest["seq"] = await database_sync_to_async(read_latest_seq)()
    return _latest["seq"]


class OpenSockets:
    """This process's open sockets. While there are any, one task checks all their
    sessions every LIVE_SESSION_CHECK_SECONDS, in one query, and closes the ended ones."""

    def __init__(self):
        self.consumers = set()
        self.checker = None

    def add(self, consumer):
        self.consumers.add(consumer)
        if self.checker is None or self.checker.done():
            self.checker = asyncio.create_task(self._check_while_open())
        feed_watch.start(self.consumers)

    def discard(self, consumer):
        self.consumers.discard(consumer)

    async def _check_while_open(self):
        while self.consumers:
            await asyncio.sleep(settings.LIVE_SESSION_CHECK_SECONDS)
            holders = {(c.session_key, c.user_id) for c in self.consumers}
            try:
                valid = await database_sync_to_async(sessions_still_valid)(holders)
            except Exception:  # the database away for a moment: check at the next round
                logger.exception("Live sockets' sessions could not be checked")
                continue
            for consumer in list(self.consumers):
                if (consumer.session_key, consumer.user_id) not in valid:
                    self.consumers.discard(consumer)
                    await consumer.close(code=CLOSE_NOT_SIGNED_IN)


class FeedWatch:
    """Whether this process still hears the push from Redis. While sockets are open, every
    LIVE_FEED_CHECK_SECONDS it publishes a probe to a channel of its own and waits for it to
    come back through its subscription (a killed Redis refuses the publish, a hung one never
    returns it). When that changes, every socket of the process is told directly, not
    through Redis: {"type": "feed", "state": "down"} or "up". A socket opened while the feed
    is down is told at once. The browser then says so and polls until it is up again."""

    def __init__(self):
        self.up = True
        self.task = None
        self.sent = self.heard = 0
        self.arrived = None

    def frame(self):
        return json.dumps({"type": "feed", "state": "up" if self.up else "down"})

    def start(self, consumers):
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._watch(consumers))

    async def _watch(self, consumers):
        layer = get_channel_layer()
        channel = listener = None
        self.arrived = asyncio.Event()
        try:
            while consumers:
                if channel is None:
                    channel = await self._probe_channel(layer)
                    if channel and listener is None:
                        listener = asyncio.create_task(self._listen(layer, channel))
                up = channel is not None and await self._probe(layer, channel)
                if up != self.up:
                    self.up = up
                    logger.warning("Live feed from Redis is %s", "up" if up else "down")
                    await self._tell(consumers)
                await asyncio.sleep(settings.LIVE_FEED_CHECK_SECONDS)
        finally:
            if listener:
                listener.cancel()
            self.up = True

    async def _probe_channel(self, layer):
        try:
            return await asyncio.wait_for(layer.new_channel("feedwatch."), self._timeout())
        except Exception:  # noqa: BLE001 - Redis away: the feed is down, try again later
            return None

    async def _listen(self, layer, channel):
        while True:
            message = await layer.receive(channel)
            self.heard = max(self.heard, message.get("n", 0))
            self.arrived.set()

    async def _probe(self, layer, channel):
        self.sent += 1
        number = self.sent
        try:
            await asyncio.wait_for(layer.send(channel, {"type": "probe", "n": number}),
                                   self._timeout())
            async with asyncio.timeout(self._timeout()):
                while self.heard < number:
                    self.arrived.clear()
                    await self.arrived.wait()
        except Exception:  # noqa: BLE001 - refused, timed out, hung: the feed is down
            return False
        return True

    async def _tell(self, consumers):
        text = self.frame()
        for consumer in list(consumers):
            try:
                await consumer.send(text_data=text)
            except Exception:  # noqa: BLE001 - the socket is closing; disconnect() follows
                pass

    @staticmethod
    def _timeout():
        return max(1.0, 2 * settings.LIVE_PUBLISH_TIMEOUT_MS / 1000)


open_sockets = OpenSockets()
feed_watch = FeedWatch()


def sessions_still_valid(holders):
    """Of these (session key, user id) pairs, those whose session was neither logged out,
    expired nor past the idle or absolute limit (zezhou_heat.middleware.limits_passed), and
    whose user is still active: two queries."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    decode = store().decode
    alive = {key for key, data in store.get_model_class().objects.filter(
        session_key__in={key for key, _user in holders}, expire_date__gt=timezone.now(),
    ).values_list("session_key", "session_data") if not limits_passed(decode(data))}
    active = set(get_user_model().objects.filter(
        pk__in={user for _key, user in holders}, is_active=True).values_list("pk", flat=True))
    return {(key, user) for key, user in holders if key in alive and user in active}

