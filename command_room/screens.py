"""The live screens whose panels the server renders: the command room, the wall and the unit
dashboard. A screen's panels are a template and what `build(user, units)` gives it, which
depends on the user only through their audience (command_room.audience) and units, so one
render serves every screen of the same kind, audience, units and language, whether the
browser fetches it (`?panels=1`) or the socket pushes it (command_room.panel_push)."""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from command_room.selectors import command_room as command_room_state
from command_room.selectors import pending_notices
from directory.choices import PositionCode
from directory.selectors import held_units
from zezhou_heat.permissions import VIEW_INCIDENTS

WALL_ROWS = 7  # incident rows that fit a 1080-px wall under the totals; the rest are counted


@dataclass(frozen=True)
class ScreenKind:
    name: str  # as the page tells its socket: ?panels=<name>
    url_name: str
    template: str  # the panels alone
    build: Callable  # (user, units) → the template's context

    @property
    def path(self):
        return reverse(self.url_name)

    def units_of(self, user):
        """The units the screen is narrowed to (None: not narrowed); False when the user
        may not have this screen."""
        if not user.has_perm(VIEW_INCIDENTS):
            return False
        if self.name != UNIT:
            return None
        return held_units(user, PositionCode.UNIT_LIAISON) or False


def wall_state(user, units=None):
    context = command_room_state(user)
    context.update(screen=WALL, back=reverse("command_room:wall"),
                   heartbeat_seconds=settings.LIVE_HEARTBEAT_SECONDS,
                   shown=context["incidents"][:WALL_ROWS],
                   folded=context["incidents"][WALL_ROWS:])
    return context


def live_state(user, units):
    """What the command room's or unit dashboard's panels show: it depends on the user only
    through their audience and units (no request, so no context processors' per-user bits
    such as unread notifications)."""
    narrowed = units is not None
    context = command_room_state(user, units)
    context.update(screen=UNIT if narrowed else ROOM,
                   units=sorted(units) if narrowed else None,
                   notices=pending_notices(units) if narrowed else None,
                   back=reverse("command_room:unit_dashboard" if narrowed
                                else "command_room:command_room"),
                   heartbeat_seconds=settings.LIVE_HEARTBEAT_SECONDS)
    return context


WALL, ROOM, UNIT = "wall", "room", "unit"
SCREENS = {
    WALL: ScreenKind(WALL, "command_room:wall", "command_room/_wall_panels.html", wall_state),
    ROOM: ScreenKind(ROOM, "command_room:command_room", "command_room/_panels.html", live_state),
    UNIT: ScreenKind(UNIT, "command_room:unit_dashboard", "command_room/_panels.html",
                     live_state),
}
