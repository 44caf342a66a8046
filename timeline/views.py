from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods


@login_required
@require_http_methods(["GET", "POST"])
def notifications(request):
    """What the clocks said to this user; POST marks them all read."""
    mine = request.user.notifications.select_related("event", "event__incident__township")
    if request.method == "POST":
        mine.filter(read_at__isnull=True).update(read_at=timezone.now())
        return redirect("notifications")
    return render(request, "notifications.html", {"notifications": mine[:200]})
