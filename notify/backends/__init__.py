"""The configured backend of each channel: settings.NOTIFY_BACKENDS maps a channel to
{"BACKEND": dotted class path, "OPTIONS": {...}}."""

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string


@cache
def backend_for(channel):
    """The backend instance of `channel`, made once per process. A backend that serves any
    channel (the outbox: its class says channel = None) is told which one it serves here."""
    return backend_made(settings.NOTIFY_BACKENDS[channel], channel)


def backend_made(config, channel):
    """A backend from its {"BACKEND", "OPTIONS"}; OPTIONS["max_per_second"] is the pace's
    (notify.pacing), every other option the backend's own."""
    options = dict(config.get("OPTIONS", {}))
    max_per_second = float(options.pop("max_per_second", 0) or 0)
    backend = import_string(config["BACKEND"])(**options)
    backend.max_per_second = max_per_second
    if backend.channel is None:
        backend.channel = channel
    return backend
