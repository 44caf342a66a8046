"""Strict readers for settings taken from the environment.

Every reader raises ImproperlyConfigured naming the variable and what was wrong, so a
bad deployment stops at start with a message an operator can act on.
"""

import os
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}
DATABASE_SCHEMES = {"postgres", "postgresql", "sqlite"}
REDIS_SCHEMES = {"redis", "rediss", "unix"}


def _fail(name, value, expected):
    raise ImproperlyConfigured(f"{name}={value!r} is not valid: expected {expected}.")


def get_str(name, default=None, *, required=False):
    value = os.environ.get(name, "").strip()
    if value:
        return value
    if required:
        raise ImproperlyConfigured(f"{name} must be set.")
    return default


def get_bool(name, default):
    raw = get_str(name)
    if raw is None:
        return default
    word = raw.lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return _fail(name, raw, "one of " + ", ".join(sorted(TRUE_WORDS | FALSE_WORDS)))


def get_int(name, default, *, minimum=None):
    raw = get_str(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        return _fail(name, raw, "a whole number")
    if minimum is not None and value < minimum:
        _fail(name, raw, f"a whole number of at least {minimum}")
    return value


def get_list(name, default):
    raw = get_str(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def get_json_object(name, default):
    """A JSON object ({"sms": {"BACKEND": "…", "OPTIONS": {…}}}), read as a dict."""
    import json

    raw = get_str(name)
    if raw is None:
        return default
    try:
        value = json.loads(raw)
    except ValueError:
        return _fail(name, raw, "a JSON object")
    if not isinstance(value, dict):
        _fail(name, raw, "a JSON object")
    return value


def get_url(name, default, schemes, *, required=False):
    raw = get_str(name, default, required=required)
    parsed = urlparse(raw)
    if parsed.scheme not in schemes:
        _fail(name, raw, "a URL starting with " + " or ".join(f"{s}://" for s in sorted(schemes)))
    if parsed.scheme not in {"sqlite", "unix"} and not parsed.hostname:
        _fail(name, raw, "a URL with a host name")
    return raw


def get_networks(name, default):
    """A comma-separated list of IP addresses or networks (10.0.0.5, 172.28.0.0/16, ::1)."""
    import ipaddress

    networks = get_list(name, default)
    for entry in networks:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            _fail(name, entry, "IP addresses or networks separated by commas")
    return networks
