"""The live screens' panels, rendered once per event and audience, not once per screen.

After each event the open command rooms, walls and unit dashboards are sent their panels on
their sockets (command_room.panel_push), and a screen whose socket or feed is down fetches
them. What the panels contain depends only on the audience (what the user may see:
`Audience`), the units of a unit dashboard, the page, the language, the timeline's latest
sequence number and who is on duty (`command_room.selectors`). So the first render after an
event, pushed or fetched, serves every screen of the same audience, from this process's memory.

A screen asks with the sequence number it has applied (`?panels=1&seq=N`): any render at least
that new answers it without a query. Without one (or with none kept) the render must be at
least as new as the latest event. A render also ends at the next change of duty shift and
after RENDER_MAX_AGE, for whatever changes without an event. Concurrent requests for the same
render wait for the one rendering it (single flight) instead of all rendering it.

The cache is the local-memory alias `panels`, never Redis: a Redis outage leaves the board.
The unit dashboard's forms carry the session's CSRF token: the render holds a placeholder,
replaced per request. LIVE_PANELS_SHARED=0 renders per request (the benchmark's "before").
"""

import hashlib
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import caches
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language

from command_room.audience import Audience
from timeline.selectors import latest_seq
from zezhou_heat.views import number_in_query

RENDER_MAX_AGE = timedelta(seconds=60)
CSRF_PLACEHOLDER = secrets.token_hex(16)  # per process: never in what anyone writes


@dataclass(frozen=True)
class Render:
    seq: int
    html: str
    until: datetime
    tag: str  # names this render (data-panels-render): a pushed change says which it changes

    def answers(self, seq, now):
        return self.seq >= seq and now < self.until


def panels_html(request, screen, units=None):
    """The panels of `screen` (command_room.screens.ScreenKind) for this request."""
    render = screen_render(screen, request.user, units,
                           number_in_query(request.GET.get("seq")))
    return render.html.replace(CSRF_PLACEHOLDER, get_token(request)) if units else render.html


def screen_render(screen, user, units, seq):
    """A render of `screen`'s panels for `user` at least as new as event `seq` (None: the
    latest event), in the active language; shared unless LIVE_PANELS_SHARED is off."""
    if not settings.LIVE_PANELS_SHARED:
        return _render(user, screen, units)
    return shared_render(render_key(screen, Audience.of(user), units), seq,
                         lambda: _render(user, screen, units))


def render_key(screen, audience, units):
    """Everything besides the sequence number that changes the panels' HTML."""
    parts = (screen.name, get_language(), audience.everything,
             sorted(audience.townships), sorted(audience.enterprises),
             audience.unattached_prefixes, audience.warning_kinds,
             sorted(units) if units is not None else None)
    return "panels:" + hashlib.sha256(repr(parts).encode()).hexdigest()


_flights = {}  # key → the lock of whoever renders it
_flights_lock = threading.Lock()


def shared_render(key, seq, render):
    """The kept render of `key` if it answers `seq` (None: the latest event), else render()
    once, however many requests ask for it at the same time."""
    cache = caches["panels"]
    kept = cache.get(key)
    if seq is not None and kept and kept.answers(seq, timezone.now()):
        return kept
    with _flights_lock:
        flight = _flights.setdefault(key, threading.Lock())
    with flight:
        kept = cache.get(key)
        wanted = latest_seq() if seq is None else seq
        if kept and kept.answers(wanted, timezone.now()):
            return kept
        fresh = render()
        timeout = (fresh.until - timezone.now()).total_seconds()
        if timeout > 0 and (not kept or fresh.seq >= kept.seq):
            cache.set(key, fresh, timeout)
        return fresh


def _render(user, screen, units):
    now = timezone.now()
    context = screen.build(user, units)
    tag = secrets.token_hex(4)
    context.update(csrf_token=CSRF_PLACEHOLDER, render_tag=tag)
    return Render(context["seq"], render_to_string(screen.template, context),
                  _render_until(now, context["changes_at"]), tag)


def _render_until(now, shift_change):
    """When a render made now stops answering: the next change of duty shift, or
    RENDER_MAX_AGE from now."""
    return min(filter(None, [shift_change, now + RENDER_MAX_AGE]))
