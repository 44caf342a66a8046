"""The live command room's socket: push only, it never writes.

A socket that may see the timeline joins this process's fan-out (command_room.fanout),
which sends it every event its user may see and only the sequence number of the others
(so the browser sees no gap), and a heartbeat with the latest sequence number, so a browser
that missed a push (Redis down, a dropped message) notices and fetches the rest from the
timeline API. One task per process checks the sessions of all its sockets at once and
closes those whose session ended or whose user was deactivated; another tells them whether
the push from Redis still arrives (FeedWatch)."""

import asyncio
import json
import logging
from importlib import import_module
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from command_room.audience import Audience
from command_room.fanout import fanout
from command_room.panel_push import panel_push
from directory import two_factor
from zezhou_heat.middleware import limits_passed
from zezhou_heat.permissions import VIEW_TIMELINE

logger = logging.getLogger(__name__)
CLOSE_NOT_SIGNED_IN = 4401
CLOSE_NOT_ALLOWED = 4403


class TimelineConsumer(AsyncWebsocketConsumer):
    # No channel of its own: the process's one subscription (command_room.fanout) sends to
    # every socket, so a push costs no channel-layer message, task or wait per socket.
    channel_layer_alias = None
    audience = None

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
        audience = await database_sync_to_async(_audience_of)(user)
        if audience is None:
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
        panels = await self._panels_wanted()
        await self.accept()
        self.audience = audience
        open_sockets.add(self)
        if panels:
            panel_push.join(self, *panels)
        if not feed_watch.up:
            fanout.send(self, feed_watch.frame())

    async def _panels_wanted(self):
        """The panels the page asked to be pushed (`?panels=<screen>&lang=<language>`), if
        this user may have them: (render key, PanelScreen), or None."""
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        screen = query.get("panels", [""])[0]
        language = query.get("lang", [""])[0]
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        if not screen:
            return None
        return await database_sync_to_async(panel_push.add)(self, screen, language)

    async def disconnect(self, code):
        if self.audience is not None:
            open_sockets.discard(self)

    async def receive(self, text_data=None, bytes_data=None):
        """Push only: whatever a browser sends is ignored."""


def _audience_of(user):
    return Audience.of(user) if user.has_perm(VIEW_TIMELINE) else None


class OpenSockets:
    """This process's open sockets, held by command_room.fanout, which sends to them. While
    there are any, one task checks all their sessions every LIVE_SESSION_CHECK_SECONDS, in
    one query, and closes the ended ones."""

    def __init__(self):
        self.checker = None

    def add(self, consumer):
        fanout.add(consumer)
        if self.checker is None or self.checker.done():
            self.checker = asyncio.create_task(self._check_while_open())
        feed_watch.start()

    def discard(self, consumer):
        fanout.discard(consumer)
        panel_push.discard(consumer)

    async def _check_while_open(self):
        while fanout:
            await asyncio.sleep(settings.LIVE_SESSION_CHECK_SECONDS)
            consumers = fanout.consumers()
            holders = {(c.session_key, c.user_id) for c in consumers}
            try:
                valid = await database_sync_to_async(sessions_still_valid)(holders)
            except Exception:  # the database away for a moment: check at the next round
                logger.exception("Live sockets' sessions could not be checked")
                continue
            for consumer in consumers:
                if (consumer.session_key, consumer.user_id) not in valid:
                    self.discard(consumer)
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

    def start(self):
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._watch())

    async def _watch(self):
        layer = get_channel_layer()
        channel = listener = None
        self.arrived = asyncio.Event()
        try:
            while fanout:
                if channel is None:
                    channel = await self._probe_channel(layer)
                    if channel and listener is None:
                        listener = asyncio.create_task(self._listen(layer, channel))
                up = channel is not None and await self._probe(layer, channel)
                if up != self.up:
                    self.up = up
                    logger.warning("Live feed from Redis is %s", "up" if up else "down")
                    fanout.send_to_all(self.frame())
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

