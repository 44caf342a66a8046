"""The live screens' panels, pushed on their sockets: one render per event and kind of screen,
sent to every socket showing it, instead of every screen fetching them after each event.

A page that shows panels (command_room.screens) opens its socket with `?panels=<screen>&lang=
<language>`. Its socket joins the PanelScreen of its kind, audience, units and language (the
render key of command_room.panels). When a push arrives that the audience sees (and, for a unit
dashboard, that concerns its units or no incident at all), the screen is marked stale, and
PUSH_DELAY later its panels are rendered once (command_room.panels.screen_render, so a browser
that fetches them is served the same render) and sent to each of its sockets. Events arriving
while a render runs make one more render after it, not one each.

What is sent is what changed. The panels' HTML is cut into chunks, one per row, list item,
section (CHUNKS); a socket that holds the screen's previous push gets {"type": "panels", "seq":
N, "tag": T, "base": B, "diff": [...]}, where each item of diff is either [i, j], the chunks i
to j - 1 of render B, or a new chunk; a socket that joined since gets the whole render,
{"type": "panels", "seq": N, "tag": T, "chunks": [...]}. A browser holding a render other than
B (it fetched one meanwhile) fetches the panels instead of applying the change. When nothing
changed, {"type": "panels", "seq": N, "tag": T, "same": true} says that the render T (""
for the page as it was loaded) holds at event N.

A render that fails is logged; the browsers, which fetch their panels when none arrives within
a few seconds of an event (static/js/live.js), stay true. The unit dashboard's forms get the
page's CSRF token in the browser: the pushed HTML carries none."""

import asyncio
import difflib
import json
import logging
import re
from dataclasses import dataclass, field

from channels.db import database_sync_to_async
from django.conf import settings
from django.utils import translation

from command_room.audience import Audience
from command_room.fanout import fanout
from command_room.panels import CSRF_PLACEHOLDER, render_key, screen_render
from command_room.screens import SCREENS

logger = logging.getLogger(__name__)
PUSH_DELAY = 0.1  # s: events arriving together make one render
# Where the panels' HTML is cut: before each row, list item, section and block. live.js cuts
# a fetched render the same way (and drops the empty chunk before a leading cut, as here).
CHUNKS = re.compile(r"(?=<(?:tr|li|section|div)[ >])")


@dataclass(eq=False)
class PanelScreen:
    """The open sockets of one kind of screen, audience, units and language."""

    screen: object  # command_room.screens.ScreenKind
    user: object  # any of its users: the render depends only on the audience and units
    audience: Audience
    units: frozenset | None
    language: str
    sockets: set = field(default_factory=set)
    joined: set = field(default_factory=set)  # sockets that hold no push of this screen yet
    stale_since: int = 0  # the newest event that asks for a new render; 0: none
    task: asyncio.Task | None = None
    pushed: tuple = ("", [])  # the last render sent: its tag and chunks

    def concerns(self, push):
        """Whether the event may change these panels."""
        if self.units is None or push["audience"]["incident"] is None:
            return True
        return not self.units.isdisjoint(push.get("units", ()))


class PanelPush:
    def __init__(self):
        self.screens = {}  # render key → PanelScreen

    def add(self, consumer, screen_name, language):
        """Push `screen_name`'s panels to this socket from now on (a sync call, made in
        connect's thread: it reads the user's units)."""
        screen = SCREENS.get(screen_name)
        if screen is None or not settings.LIVE_PANELS_PUSH:
            return None
        user = consumer.scope["user"]
        units = screen.units_of(user)
        if units is False:
            return None
        units = frozenset(units) if units is not None else None
        audience = Audience.of(user)
        with translation.override(language):
            key = render_key(screen, audience, units)
        return key, PanelScreen(screen, user, audience, units, language)

    def join(self, consumer, key, candidate):
        """In the event loop: the socket joins its screen."""
        screen = self.screens.setdefault(key, candidate)
        screen.sockets.add(consumer)
        screen.joined.add(consumer)
        consumer.panel_key = key

    def discard(self, consumer):
        key = getattr(consumer, "panel_key", None)
        screen = self.screens.get(key)
        if screen is None:
            return
        screen.sockets.discard(consumer)
        screen.joined.discard(consumer)
        if not screen.sockets:
            del self.screens[key]
            if screen.task:
                screen.task.cancel()
        elif screen.user is consumer.scope["user"]:  # a user who stays signed in renders it
            screen.user = next(iter(screen.sockets)).scope["user"]

    def deliver(self, push):
        """After fanout sent the event's frame: the screens it may change render anew; those
        that see it but whose panels it cannot change (a unit dashboard, an incident that
        concerns other units) are told their panels hold at this event."""
        for screen in self.screens.values():
            if not screen.audience.sees(push["audience"]):
                continue
            if screen.concerns(push) or screen.task is not None:
                screen.stale_since = max(screen.stale_since, push["seq"])
                if screen.task is None:
                    screen.task = asyncio.create_task(self._render_while_stale(screen))
            else:
                self._unchanged(screen, push["seq"])

    @staticmethod
    def _unchanged(screen, seq):
        pushed = json.dumps({"type": "panels", "seq": seq, "tag": screen.pushed[0],
                             "same": True})
        if screen.joined:
            shown = json.dumps({"type": "panels", "seq": seq, "tag": "", "same": True})
        for consumer in list(screen.sockets):
            fanout.send(consumer, shown if consumer in screen.joined else pushed)

    async def _render_while_stale(self, screen):
        try:
            await asyncio.sleep(PUSH_DELAY)
            while screen.stale_since and screen.sockets:
                seq, screen.stale_since = screen.stale_since, 0
                joined, screen.joined = screen.joined, set()
                try:
                    whole, change = await database_sync_to_async(
                        _panels_frames, thread_sensitive=False)(screen, seq, bool(joined))
                except Exception:  # the browsers fetch their panels when none arrives
                    logger.exception("Live panels of %s could not be rendered", screen.screen.name)
                    screen.joined |= joined
                    return
                for consumer in list(screen.sockets):
                    fanout.send(consumer, whole if consumer in joined or change is None
                                else change)
        finally:
            screen.task = None


def _panels_frames(screen, seq, whole_wanted):
    """The frames of a render at least as new as event `seq`: (the whole render if
    `whole_wanted`, else None; what changed since the screen's last push, None when no change
    can be told)."""
    with translation.override(screen.language):
        render = screen_render(screen.screen, screen.user, screen.units, seq)
    base_tag, base = screen.pushed
    if render.tag == base_tag:
        return (_frame(render, chunks=base) if whole_wanted else None), _frame(render, same=True)
    html = render.html.replace(CSRF_PLACEHOLDER, "") if screen.units is not None else render.html
    chunks = chunks_of(html)
    screen.pushed = (render.tag, chunks)
    whole = _frame(render, chunks=chunks) if whole_wanted or not base_tag else None
    return whole, _frame(render, base=base_tag, diff=diff(base, chunks)) if base_tag else None


def chunks_of(html):
    return [chunk for chunk in CHUNKS.split(html) if chunk]


def diff(old, new):
    """`new` as runs of `old`'s chunks ([i, j]) and chunks of its own."""
    ops = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            ops.append([i1, i2])
        else:
            ops.extend(new[j1:j2])
    return ops


def _frame(render, **parts):
    return json.dumps({"type": "panels", "seq": render.seq, "tag": render.tag, **parts},
                      ensure_ascii=False)


panel_push = PanelPush()
fanout.listeners.append(panel_push.deliver)
