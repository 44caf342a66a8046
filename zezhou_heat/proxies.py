"""The client's address, and X-Forwarded-* headers believed only from our own proxies.

Anyone can write `X-Forwarded-For`. It says who the client is only when the peer that
connected to us is a reverse proxy of ours (settings.TRUSTED_PROXIES, addresses or networks,
none by default): then the client is the right-most address in the header that is not one of
our proxies (a proxy appends the address it saw; everything to its left was written by the
client). From any other peer the forwarded headers are dropped, so neither the login limits
(django-axes) nor `request.is_secure()` can be steered by the client.

Uvicorn runs with `--no-proxy-headers` (Dockerfile, Procfile), so this is the only place
that reads them."""

import ipaddress
from functools import lru_cache

from django.conf import settings

FORWARDED_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST",
                     "HTTP_X_FORWARDED_PORT", "HTTP_X_REAL_IP", "HTTP_FORWARDED")
RESOLVED = "zezhou.client_address_resolved"


@lru_cache(maxsize=8)
def _networks(trusted):
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in trusted)


def _trusted(address, networks):
    return address is not None and any(address in network for network in networks)


def _address(text):
    """An IP address from a header or REMOTE_ADDR entry ("1.2.3.4", "1.2.3.4:5678",
    "[2001:db8::1]:443", "2001:db8::1"), or None."""
    text = (text or "").strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def resolve(meta):
    """Set meta["REMOTE_ADDR"] to the client's address; drop the forwarded headers unless the
    peer is a trusted proxy. Idempotent."""
    if meta.get(RESOLVED):
        return
    meta[RESOLVED] = True
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    peer = _address(meta.get("REMOTE_ADDR"))
    if not _trusted(peer, networks):
        for header in FORWARDED_HEADERS:
            meta.pop(header, None)
        return
    client = peer
    for entry in reversed(meta.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        address = _address(entry)
        if address is None:
            break  # not written by a proxy of ours: stop at the last address we can vouch for
        client = address
        if not _trusted(address, networks):
            break
    meta["REMOTE_ADDR"] = str(client)


def client_address(request):
    """The client's address (AXES_CLIENT_IP_CALLABLE)."""
    resolve(request.META)
    return request.META.get("REMOTE_ADDR")


class TrustedProxyMiddleware:
    """First in MIDDLEWARE: everything after it sees the client's address in REMOTE_ADDR
    and forwarded headers only from a trusted proxy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        resolve(request.META)
        return self.get_response(request)
