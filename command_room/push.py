"""One push per timeline event, after its transaction commits, to every open live view.

The channel layer may drop a push (Redis down, a full channel); the browsers then catch up
from the timeline API, told by the heartbeat (command_room.consumers). So a failed push is
logged and given up, never raised into the write that caused it."""

import asyncio
import concurrent.futures
import json
import logging
import os
import threading
import time

from channels.layers import get_channel_layer
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from command_room.frames import frames_of

GROUP = "timeline"
logger = logging.getLogger(__name__)
_paused_until = 0.0


def push_committed(sender, event, **kwargs):
    """The receiver of timeline.signals.event_committed."""
    push(event)


def push(event):
    """Hand the event's frame to the publisher thread; False when pushes are paused. The
    writer (a request, the clock thread of a worker) never waits for Redis: a dead or hung
    Redis fails the send in that thread, which logs it once and pauses the pushes."""
    if time.monotonic() < _paused_until:
        return False
    _publisher.submit(_send(event.seq, message_for(frames_of([event])[0])))
    return True


def message_for(frame):
    """The channel-layer message: the JSON text is made once here, not once per socket."""
    return {
        "type": "timeline.event",
        "seq": frame["seq"],
        "units": frame["units"],
        "audience": {key: frame[key] for key in ("kind", "incident", "township",
                                                  "reporter_unit")},
        "text": json.dumps({"type": "event", **frame}, cls=DjangoJSONEncoder,
                           ensure_ascii=False),
        "skip": json.dumps({"type": "skip", "seq": frame["seq"]}),
    }


async def _send(seq, message):
    global _paused_until
    try:
        await asyncio.wait_for(get_channel_layer().group_send(GROUP, message),
                               settings.LIVE_PUBLISH_TIMEOUT_MS / 1000)
    except Exception as error:  # noqa: BLE001 - any failure of the layer: the heartbeat covers it
        if time.monotonic() >= _paused_until:  # the first failure of an outage, not each send
            logger.warning("Live push of event %s failed (%r); pushes pause for %s s",
                           seq, error, settings.LIVE_PUBLISH_PAUSE_SECONDS)
        _paused_until = time.monotonic() + settings.LIVE_PUBLISH_PAUSE_SECONDS


class _PublisherLoop:
    """An event loop in a thread of its own, kept for the life of the process, so that a
    push from sync code (a request thread, a Celery task, a clock thread) reuses one Redis
    connection instead of starting a loop and connecting for every event, and returns at once.
    Frames go out in the order they were submitted (the layer publishes under a FIFO lock).
    Started on first use, and again in a forked child, where the parent's thread does not
    exist."""

    def __init__(self):
        self._lock = threading.Lock()
        self._loop = None
        self._pid = None
        self._pending = set()  # futures of the pushes not yet out

    def submit(self, coroutine):
        with self._lock:
            if self._loop is None or self._pid != os.getpid():
                self._loop, self._pid = asyncio.new_event_loop(), os.getpid()
                self._pending = set()
                threading.Thread(target=self._loop.run_forever, name="live-push",
                                 daemon=True).start()
            future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
            self._pending.add(future)
        future.add_done_callback(self._pending.discard)

    def drained(self, timeout):
        """Wait, at most `timeout` seconds, until every push submitted so far is out."""
        with self._lock:
            pending = list(self._pending)
        concurrent.futures.wait(pending, timeout=timeout)


_publisher = _PublisherLoop()


def pushes_drained(timeout=5.0):
    """Wait until the pushes this process submitted are out (tests: an earlier test's burst
    of events must not reach the next test's sockets)."""
    _publisher.drained(timeout)
