"""The configured backend of each channel: settings.NOTIFY_BACKENDS maps a channel to
{"BACKEND": dotted class path, "OPTIONS": {...}}."""

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string


@cache
def backend_for(channel):
    config = settings.NOTIFY_BACKENDS[channel]
    return import_string(config["BACKEND"])(**config.get("OPTIONS", {}))
