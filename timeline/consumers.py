"""The live command room's socket: push only, it never writes.

Every message from the channel layer is one timeline event, already serialised once by
timeline.push; this consumer only decides, per socket, whether its user may see it (if
not, only the sequence number goes out, so the browser sees no gap). A heartbeat carries
the latest sequence number, so a browser that missed a push (Redis down, a dropped
message) notices and fetches the rest from the timeline API. The same timer closes the
socket once its session has ended or its user was deactivated."""

import asyncio
import json
import logging
import random
import time
from importlib import import_module

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model

from directory.authority import VIEW_TIMELINE
from timeline.audience import Audience
from timeline.push import GROUP
from timeline.selectors import latest_seq as read_latest_seq
from zezhou_heat.middleware import SESSION_AUTH_AT

logger = logging.getLogger(__name__)
CLOSE_NOT_SIGNED_IN = 4401
CLOSE_NOT_ALLOWED = 4403


class TimelineConsumer(AsyncWebsocketConsumer):
    joined = False
    watcher = None

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
        self.session_key = self.scope["session"].session_key
        await self.accept()
        await self._join()
        self.watcher = asyncio.create_task(self._watch(user.pk))

    async def disconnect(self, code):
        if self.watcher:
            self.watcher.cancel()
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

    async def _watch(self, user_id):
        heartbeat = settings.LIVE_HEARTBEAT_SECONDS
        check_every = settings.LIVE_SESSION_CHECK_SECONDS
        next_check = time.monotonic() + check_every
        await asyncio.sleep(random.uniform(0, heartbeat))  # spread the sockets' timers
        while True:
            try:
                if not self.joined:
                    await self._join()
                if time.monotonic() >= next_check:
                    next_check = time.monotonic() + check_every
                    if not await _session_still_valid(self.session_key, user_id):
                        await self.close(code=CLOSE_NOT_SIGNED_IN)
                        return
                await self.send(text_data=json.dumps({"type": "heartbeat",
                                                      "seq": await latest_seq()}))
            except Exception:  # the database away for a moment: try again at the next beat
                logger.exception("Live socket heartbeat failed")
            await asyncio.sleep(heartbeat)


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


@database_sync_to_async
def _session_still_valid(session_key, user_id):
    """The session was not logged out, has not expired, and its user is still active."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    data = store(session_key).load() if session_key else {}
    if data.get(SESSION_KEY) != str(user_id):
        return False
    auth_at = data.get(SESSION_AUTH_AT)
    if auth_at is not None and time.time() - auth_at > settings.SESSION_ABSOLUTE_SECONDS:
        return False
    return get_user_model().objects.filter(pk=user_id, is_active=True).exists()
