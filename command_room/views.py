from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from command_room.selectors import command_room as command_room_state
from directory.choices import PositionCode
from directory.selectors import held_units
from early_warnings import selectors as warning_selectors
from response import selectors as response_selectors
from zezhou_heat.permissions import VIEW_INCIDENTS

WALL_ROWS = 7  # incident rows that fit a 1080-px wall under the totals; the rest are counted


@login_required
def home(request):
    """Incidents first for those who see them; the directory for everyone else."""
    if request.user.has_perm(VIEW_INCIDENTS):
        return redirect("incidents:list")
    return redirect("directory:index")


@login_required
def command_room(request):
    """The command room (指挥大厅): a wall screen that stays true without a reload."""
    if not request.user.has_perm(VIEW_INCIDENTS):
        raise PermissionDenied(_("The command room shows incidents; your positions do not."))
    return _live_page(request, None, _("Command room"))


@login_required
def wall(request):
    """The command room for a 1920×1080 wall screen read from across the room: no site menu,
    no scrolling; the totals, the most urgent incidents, the rest folded into a count."""
    if not request.user.has_perm(VIEW_INCIDENTS):
        raise PermissionDenied(_("The command room shows incidents; your positions do not."))
    context = command_room_state(request.user)
    context.update(title=_("Command room"), back=request.path,
                   heartbeat_seconds=settings.LIVE_HEARTBEAT_SECONDS,
                   shown=context["incidents"][:WALL_ROWS],
                   folded=context["incidents"][WALL_ROWS:])
    if request.GET.get("panels"):
        return _panels("command_room/_wall_panels.html", context)
    return render(request, "command_room/wall.html", context)


@login_required
def unit_dashboard(request):
    """The same live view, narrowed to what concerns the user's member units."""
    units = held_units(request.user, PositionCode.UNIT_LIAISON)
    if not units or not request.user.has_perm(VIEW_INCIDENTS):
        raise PermissionDenied(_("Only member-unit liaisons have a unit dashboard."))
    return _live_page(request, units, _("My unit's dashboard"))


def _live_page(request, units, title):
    """The page, or with ?panels=1 only its panels, which the browser fetches after events."""
    narrowed = units is not None
    context = command_room_state(request.user, units)
    context.update(title=title, units=sorted(units) if narrowed else None,
                   notices=(list(response_selectors.notices_pending_for(request.user))
                            if narrowed else None),
                   back=request.path, heartbeat_seconds=settings.LIVE_HEARTBEAT_SECONDS)
    if request.GET.get("panels"):
        # A unit dashboard's panels hold forms (the notices to acknowledge): they need the
        # request for the CSRF token.
        return _panels("command_room/_panels.html", context, request if narrowed else None)
    return render(request, "command_room/live.html", context)


def _panels(template, context, request=None):
    """Panels without the request, so without the context processors' per-user bits
    (unread notifications and the like): what they show depends on the audience, the
    language and the sequence number alone, as a shared render per event would need."""
    return HttpResponse(render_to_string(template, context, request))


@login_required
def inbox(request):
    """What waits for this person's authority: response proposals and early warnings to
    approve or reject, with one click and a confirmation, on a phone too."""
    if not request.user.has_perm(VIEW_INCIDENTS):
        raise Http404
    return render(request, "command_room/inbox.html", {
        "proposals": response_selectors.awaiting_decision_by(request.user),
        "warnings": warning_selectors.awaiting_decision_by(request.user),
    })
