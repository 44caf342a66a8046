"""The live screens' panels, pushed on their sockets: one render per event and kind of screen,
sent to every socket showing it, instead of every screen fetching them after each event.

A page that shows panels (command_room.screens) opens its socket with `?panels=<screen>&lang=
<language>`. Its socket joins the PanelScreen of its kind, audience, units and language (the
render key of command_room.panels). When a push arrives that the audience sees (and, for a unit
dashboard, that concerns its units or no incident at all), the screen is marked stale, and
PUSH_DELAY later its panels are rendered once (command_room.panels.screen_render, so a browser
that fetches them is served the same render) and sent as one frame,
{"type": "panels", "seq": N, "html": "…"}, to each of its sockets. Events arriving while a render
runs make one more render after it, not one each.

A render that fails is logged; the browsers, which fetch their panels when none arrives within
a few seconds of an event (static/js/live.js), stay true. The unit dashboard's forms get the
page's CSRF token in the browser: the pushed HTML carries none."""

import asyncio
import json
import logging
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


@dataclass(eq=False)
class PanelScreen:
    """The open sockets of one kind of screen, audience, units and language."""

    screen: object  # command_room.screens.ScreenKind
    user: object  # any of its users: the render depends only on the audience and units
    audience: Audience
    units: frozenset | None
    language: str
    sockets: set = field(default_factory=set)
    stale_since: int = 0  # the event that asks for a new render; 0: none
    task: asyncio.Task | None = None

    def concerns(self, push):
        if not self.audience.sees(push["audience"]):
            return False
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
        consumer.panel_key = key

    def discard(self, consumer):
        key = getattr(consumer, "panel_key", None)
        screen = self.screens.get(key)
        if screen is None:
            return
        screen.sockets.discard(consumer)
        if not screen.sockets:
            del self.screens[key]
            if screen.task:
                screen.task.cancel()
        elif screen.user is consumer.scope["user"]:  # a user who stays signed in renders it
            screen.user = next(iter(screen.sockets)).scope["user"]

    def deliver(self, push):
        """After fanout sent the event's frame: the screens it changes render anew."""
        for screen in self.screens.values():
            if screen.concerns(push):
                screen.stale_since = screen.stale_since or push["seq"]
                if screen.task is None:
                    screen.task = asyncio.create_task(self._render_while_stale(screen))

    async def _render_while_stale(self, screen):
        try:
            await asyncio.sleep(PUSH_DELAY)
            while screen.stale_since and screen.sockets:
                seq, screen.stale_since = screen.stale_since, 0
                try:
                    text = await database_sync_to_async(_panels_frame)(screen, seq)
                except Exception:  # the browsers fetch their panels when none arrives
                    logger.exception("Live panels of %s could not be rendered", screen.screen.name)
                    return
                for consumer in list(screen.sockets):
                    fanout.send(consumer, text)
        finally:
            screen.task = None


def _panels_frame(screen, seq):
    with translation.override(screen.language):
        render = screen_render(screen.screen, screen.user, screen.units, seq)
    html = render.html.replace(CSRF_PLACEHOLDER, "") if screen.units is not None else render.html
    return json.dumps({"type": "panels", "seq": render.seq, "html": html}, ensure_ascii=False)


panel_push = PanelPush()
fanout.listeners.append(panel_push.deliver)
