from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _

from directory.authority import VIEW_INCIDENTS
from directory.choices import PositionCode
from directory.selectors import held_units
from response.selectors import notices_for
from timeline.selectors import command_room as command_room_state


@login_required
def command_room(request):
    """The command room (指挥大厅): a wall screen that stays true without a reload."""
    if not request.user.has_perm(VIEW_INCIDENTS):
        raise PermissionDenied(_("The command room shows incidents; your positions do not."))
    return _live_page(request, None, _("Command room"))


@login_required
def unit_dashboard(request):
    """The same live view, narrowed to what concerns the user's member units."""
    units = held_units(request.user, PositionCode.UNIT_LIAISON)
    if not units or not request.user.has_perm(VIEW_INCIDENTS):
        raise PermissionDenied(_("Only member-unit liaisons have a unit dashboard."))
    return _live_page(request, units, _("My unit's dashboard"))


def _live_page(request, units, title):
    """The page, or with ?panels=1 only its panels, which the browser fetches after events."""
    context = command_room_state(request.user, units)
    context.update(title=title, units=sorted(units) if units is not None else None,
                   notices=_pending(notices_for(request.user)) if units is not None else None,
                   back=request.path, heartbeat_seconds=settings.LIVE_HEARTBEAT_SECONDS)
    template = "timeline/_panels.html" if request.GET.get("panels") else "timeline/live.html"
    return render(request, template, context)


def _pending(notices):
    return [notice for notice in notices if notice.acknowledged_at is None]
