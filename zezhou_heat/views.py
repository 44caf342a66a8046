from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from directory.authority import VIEW_INCIDENTS
from zezhou_heat.errors import StateConflict


@login_required
def home(request):
    """Incidents first for those who see them; the directory for everyone else."""
    if request.user.has_perm(VIEW_INCIDENTS):
        return redirect("incidents:list")
    return redirect("directory:index")


@login_required
@require_http_methods(["GET", "POST"])
def notifications(request):
    """What the clocks said to this user; POST marks them all read."""
    mine = request.user.notifications.select_related("event", "event__incident")
    if request.method == "POST":
        mine.filter(read_at__isnull=True).update(read_at=timezone.now())
        return redirect("notifications")
    return render(request, "notifications.html", {"notifications": mine[:200]})


def run_action(request, action, back):
    """Run a service for a page: a refusal of authority is a 403 page (PermissionDenied
    propagates), a wrong state a 409 page, bad input a message on the page it came from."""
    try:
        action()
    except StateConflict as error:
        return render(request, "409.html", {"message": " ".join(error.messages),
                                            "back": back}, status=409)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(back)
