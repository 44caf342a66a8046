"""The configured backend of each channel: settings.NOTIFY_BACKENDS maps a channel to
{"BACKEND": dotted class path, "OPTIONS": {...}}."""

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string


@cache
def backend_for(channel):
    """The backend instance of `channel`, made once per process. A backend that serves any
    channel (the outbox: its class says channel = None) is told which one it serves here."""
    config = settings.NOTIFY_BACKENDS[channel]
    backend = import_string(config["BACKEND"])(**config.get("OPTIONS", {}))
    if backend.channel is None:
        backend.channel = channel
    return backend
