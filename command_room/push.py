"""One push per timeline event, after its transaction commits, to every open live view.

The channel layer may drop a push (Redis down, a full channel); the browsers then catch up
from the timeline API, told by the heartbeat (command_room.consumers). So a failed push is
logged and given up, never raised into the write that caused it."""

import asyncio
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
    """Send the event's frame to the live views; False when it was not sent."""
    global _paused_until
    if time.monotonic() < _paused_until:
        return False
    try:
        _publisher.run(_send(message_for(frames_of([event])[0])))
        return True
    except Exception as error:  # noqa: BLE001 - any failure of the layer: the heartbeat covers it
        _paused_until = time.monotonic() + settings.LIVE_PUBLISH_PAUSE_SECONDS
        logger.warning("Live push of event %s failed (%r); pushes pause for %s s",
                       event.seq, error, settings.LIVE_PUBLISH_PAUSE_SECONDS)
        return False


def message_for(frame):
    """The channel-layer message: the JSON text is made once here, not once per socket."""
    return {
        "type": "timeline.event",
        "seq": frame["seq"],
        "audience": {key: frame[key] for key in ("kind", "incident", "township",
                                                  "reporter_unit")},
        "text": json.dumps({"type": "event", **frame}, cls=DjangoJSONEncoder,
                           ensure_ascii=False),
        "skip": json.dumps({"type": "skip", "seq": frame["seq"]}),
    }


async def _send(message):
    layer = get_channel_layer()
    await asyncio.wait_for(layer.group_send(GROUP, message),
                           settings.LIVE_PUBLISH_TIMEOUT_MS / 1000)


class _PublisherLoop:
    """An event loop in a thread of its own, kept for the life of the process, so that a
    push from sync code (a request thread, a Celery task) reuses one Redis connection instead
    of starting a loop and connecting for every event. Started on first use, and again in a
    forked child (a Celery worker), where the parent's thread does not exist."""

    def __init__(self):
        self._lock = threading.Lock()
        self._loop = None
        self._pid = None

    def run(self, coroutine):
        with self._lock:
            if self._loop is None or self._pid != os.getpid():
                self._loop, self._pid = asyncio.new_event_loop(), os.getpid()
                threading.Thread(target=self._loop.run_forever, name="live-push",
                                 daemon=True).start()
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()


_publisher = _PublisherLoop()
